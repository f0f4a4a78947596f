//! Byte framing shared by the verifier-key and proof-bundle formats:
//! `magic (8 bytes) | format version (u32 LE) | sections`, each section `length (u32 LE) | bytes`.
//! Every read is bounds-checked: malformed bytes give an error, never a panic.

use crate::error::{Error, Result};

pub struct Reader<'a> {
    bytes: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// Checks the magic and version and returns a reader positioned after them.
    pub fn open(
        bytes: &'a [u8],
        what: &'static str,
        magic: &[u8; 8],
        version: u32,
    ) -> Result<Self> {
        let mut r = Reader { bytes, what };
        let m = r
            .take(8)
            .map_err(|_| Error::malformed(what, "too short to be one"))?;
        if m != magic {
            return Err(Error::malformed(
                what,
                "wrong magic bytes (not this kind of file)",
            ));
        }
        let v = r.u32()?;
        if v != version {
            return Err(Error::malformed(
                what,
                format!("format version {v}, this build reads version {version}"),
            ));
        }
        Ok(r)
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.bytes.len() {
            return Err(Error::malformed(
                self.what,
                format!(
                    "truncated: needed {n} more bytes, {} left",
                    self.bytes.len()
                ),
            ));
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    pub fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A length-prefixed section of at most `max` bytes.
    pub fn section(&mut self, max: usize) -> Result<&'a [u8]> {
        let n = self.u32()? as usize;
        if n > max {
            return Err(Error::malformed(
                self.what,
                format!("section of {n} bytes exceeds the limit of {max}"),
            ));
        }
        self.take(n)
    }

    pub fn json<T: serde::de::DeserializeOwned>(&mut self, max: usize) -> Result<T> {
        let s = self.section(max)?;
        serde_json::from_slice(s).map_err(|e| Error::malformed(self.what, format!("header: {e}")))
    }

    /// Everything not read yet (a body that is not made of sections: `compiled.bin`'s).
    #[cfg(feature = "prover")]
    pub fn rest(self) -> &'a [u8] {
        self.bytes
    }

    pub fn finish(self) -> Result<()> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(Error::malformed(
                self.what,
                format!("{} unexpected trailing bytes", self.bytes.len()),
            ))
        }
    }
}

pub struct Writer {
    pub bytes: Vec<u8>,
}

impl Writer {
    pub fn new(magic: &[u8; 8], version: u32) -> Self {
        let mut bytes = magic.to_vec();
        bytes.extend_from_slice(&version.to_le_bytes());
        Writer { bytes }
    }

    pub fn section(&mut self, data: &[u8]) {
        self.bytes
            .extend_from_slice(&(data.len() as u32).to_le_bytes());
        self.bytes.extend_from_slice(data);
    }

    pub fn json<T: serde::Serialize>(&mut self, value: &T) {
        let s = serde_json::to_vec(value).expect("plain data serializes");
        self.section(&s);
    }
}
