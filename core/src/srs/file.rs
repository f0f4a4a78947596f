//! Reading the powers of τ out of a setup file: a snarkjs `.ptau` file (the format of the
//! Hermez / Perpetual Powers of Tau ceremony files that snarkjs, circom and EZKL users download)
//! or a halo2 KZG parameter file (`ParamsKZG::write`, points raw or compressed).
//!
//! Only what a circuit of size 2^k needs is read: the first 2^k powers τ^i·G1, and G2 and τ·G2.
//! A ceremony file holds up to 2^28 powers (9 GB): reading it whole to prove a k = 14 circuit
//! would be absurd, so sections are located by their headers and read by seeking. Every point
//! is decoded with its coordinates checked below the field modulus and on the curve; whether the
//! points really are powers of one secret is [`super::check`]'s job.
//!
//! snarkjs layout (`@iden3/binfileutils`): the magic `ptau`, a u32 version (1), a u32 number of
//! sections, then sections of a u32 type, a u64 byte length and the data. Section 1 is the
//! header: u32 n8 (32 for BN254), the base field modulus q in n8 little-endian bytes, u32 power
//! and u32 ceremony power. Section 2 holds τ^i·G1 for i < 2^(power+1) - 1, section 3 τ^i·G2 for
//! i < 2^power, each point affine, x then y, each coordinate in Montgomery form, little endian
//! (64 bytes per G1 point, 128 per G2 point, c0 before c1), which is halo2curves' raw encoding.
//! After snarkjs's phase-2 preparation, section 12 holds the Lagrange basis L_i(τ)·G1 of every
//! domain size 2^p, p = 0..=power, one after another (then one of 2^(power+1) points): the
//! basis for 2^k starts at point 2^k - 1. Its i-th point belongs to ω_s^i, where ω_s is
//! snarkjs's root of unity (a power of the smallest quadratic non-residue, ffjavascript's
//! choice), while halo2 orders its basis by its own root ω_h (a power of 7); both generate the
//! same group of 2^k-th roots of unity, so ω_h = ω_s^j for an odd j and halo2's point i is
//! snarkjs's point i·j mod 2^k. Other sections (α, β, contributions) are not needed.
//!
//! halo2 layout: a u32 k, then 2^k points g, 2^k Lagrange points, g2 and s·g2; raw (64 and 128
//! bytes a point, as above) or compressed (32 and 64). The length of the file tells which.
//!
//! A Lagrange basis read from a file is used only after [`super::check::check_lagrange`]
//! found it to be the basis of the file's powers. Without one (a `.ptau` file not prepared for
//! phase 2, a halo2 file of a larger k) it is computed from the powers with an inverse FFT over
//! G1, a scalar multiplication per butterfly: seconds at k = 14, many minutes at k = 20.

use crate::error::{Error, Result};
use halo2_proofs::arithmetic::parallelize;
use halo2curves::bn256::{Fq, G1Affine, G2Affine};
use halo2curves::ff::{Field, PrimeField};
use halo2curves::group::GroupEncoding;
use halo2curves::serde::SerdeObject;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// The largest k of BN254 (the 2-adicity of its scalar field): no domain is bigger.
pub const MAX_K: u32 = 28;

const G1_RAW: u64 = 64;
const G2_RAW: u64 = 128;
const G1_COMPRESSED: u64 = 32;
const G2_COMPRESSED: u64 = 64;

/// The powers a circuit of size 2^k needs: τ^i·G1 for i < 2^k, G2 and τ·G2.
pub struct Powers {
    pub g: Vec<G1Affine>,
    pub g2: G2Affine,
    pub s_g2: G2Affine,
}

impl Powers {
    /// The digest of the setup these powers belong to: what keys made with them report.
    pub fn setup_digest(&self) -> String {
        crate::setup::setup_digest(&crate::verifier_key::points_of(
            &self.g[0], &self.g2, &self.s_g2,
        ))
    }
}

/// What a setup file is, from its headers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SetupFormat {
    /// snarkjs powers of tau: powers for circuits up to 2^`power`, cut from a ceremony of
    /// 2^`ceremony_power` (the Hermez files are cut from one of 2^28).
    Ptau { power: u32, ceremony_power: u32 },
    /// halo2 `ParamsKZG` with uncompressed points.
    Halo2Raw { k: u32 },
    /// halo2 `ParamsKZG` with compressed points.
    Halo2Compressed { k: u32 },
}

impl SetupFormat {
    /// The largest circuit size (log2 of its rows) the file serves.
    pub fn max_k(&self) -> u32 {
        match *self {
            SetupFormat::Ptau { power, .. } => power,
            SetupFormat::Halo2Raw { k } | SetupFormat::Halo2Compressed { k } => k,
        }
    }

    pub fn describe(&self) -> String {
        match *self {
            SetupFormat::Ptau {
                power,
                ceremony_power,
            } => format!(
                "snarkjs powers of tau for k <= {power} (from a ceremony of 2^{ceremony_power})"
            ),
            SetupFormat::Halo2Raw { k } => {
                format!("halo2 KZG parameters for k <= {k} (raw points)")
            }
            SetupFormat::Halo2Compressed { k } => {
                format!("halo2 KZG parameters for k <= {k} (compressed points)")
            }
        }
    }
}

/// A setup file opened for reading, its layout known: a file, or any seekable bytes (the fuzz
/// target reads from memory).
pub struct SetupFile<R = File> {
    /// What errors name: the file's path.
    name: String,
    reader: R,
    pub format: SetupFormat,
    /// Where τ^0·G1 starts, and where G2 and τ·G2 start.
    g1_offset: u64,
    g2_offset: u64,
    /// Where the Lagrange bases start: a `.ptau` file's section 12, a halo2 file's second half.
    lagrange_offset: Option<u64>,
}

impl SetupFile<File> {
    /// Opens `path` and checks its headers and section sizes, without reading any point.
    pub fn open(path: &Path) -> Result<SetupFile<File>> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        SetupFile::from_reader(file, len, &path.display().to_string())
    }
}

impl<R: Read + Seek> SetupFile<R> {
    /// Reads the headers of the `len` bytes of `reader`, named `name` in errors.
    pub fn from_reader(mut reader: R, len: u64, name: &str) -> Result<SetupFile<R>> {
        let bad = |reason: String| Error::SetupFile {
            path: name.to_string(),
            reason,
        };
        let mut magic = [0u8; 4];
        read_exact_at(&mut reader, 0, &mut magic)
            .map_err(|_| bad(format!("{len} bytes: too short to be a setup file")))?;
        let layout = if &magic == b"ptau" {
            ptau_layout(&mut reader, len).map_err(bad)?
        } else {
            halo2_layout(u32::from_le_bytes(magic), len).map_err(bad)?
        };
        Ok(SetupFile {
            name: name.to_string(),
            reader,
            format: layout.format,
            g1_offset: layout.g1,
            g2_offset: layout.g2,
            lagrange_offset: layout.lagrange,
        })
    }

    fn point_sizes(&self) -> (u64, u64) {
        match self.format {
            SetupFormat::Halo2Compressed { .. } => (G1_COMPRESSED, G2_COMPRESSED),
            _ => (G1_RAW, G2_RAW),
        }
    }

    /// The file's Lagrange basis for 2^k rows in halo2's order, when the file has one for
    /// exactly this k; unchecked (see [`super::check::check_lagrange`]).
    pub fn lagrange(&mut self, k: u32) -> Result<Option<Vec<G1Affine>>> {
        let Some(start) = self.lagrange_offset else {
            return Ok(None);
        };
        let n = 1u64 << k;
        let (offset, order) = match self.format {
            SetupFormat::Ptau { power, .. } if k <= power => {
                let Some(j) = snarkjs_index_step(k) else {
                    return Ok(None);
                };
                (start + (n - 1) * G1_RAW, Some(j))
            }
            SetupFormat::Halo2Raw { k: file_k } | SetupFormat::Halo2Compressed { k: file_k }
                if k == file_k =>
            {
                (start, None)
            }
            _ => return Ok(None),
        };
        let points = self.read_g1(offset, n as usize, &|i| {
            format!("point {i} of the Lagrange basis for k = {k}")
        })?;
        Ok(Some(match order {
            None => points,
            Some(j) => (0..n).map(|i| points[((i * j) % n) as usize]).collect(),
        }))
    }

    /// `count` G1 points from `offset`, decoded in parallel.
    fn read_g1(
        &mut self,
        offset: u64,
        count: usize,
        name: &dyn Fn(usize) -> String,
    ) -> Result<Vec<G1Affine>> {
        let compressed = matches!(self.format, SetupFormat::Halo2Compressed { .. });
        let size = self.point_sizes().0 as usize;
        let mut bytes = vec![0u8; count * size];
        read_exact_at(&mut self.reader, offset, &mut bytes).map_err(|e| self.io(e))?;
        let mut points = vec![None; count];
        parallelize(&mut points, |chunk, start| {
            for (i, point) in chunk.iter_mut().enumerate() {
                let at = (start + i) * size;
                *point = decode(&bytes[at..at + size], compressed);
            }
        });
        points
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                p.ok_or_else(|| self.error(format!("{} is not a point of BN254's G1", name(i))))
            })
            .collect()
    }

    /// Reads the powers for a circuit of size 2^k.
    pub fn powers(&mut self, k: u32) -> Result<Powers> {
        let max_k = self.format.max_k();
        if k > max_k {
            return Err(self.error(format!(
                "it holds powers for circuits up to k = {max_k}, the circuit needs k = {k}: use a \
                 file with more powers"
            )));
        }
        let compressed = matches!(self.format, SetupFormat::Halo2Compressed { .. });
        let g2_size = self.point_sizes().1;
        let g = self.read_g1(self.g1_offset, 1usize << k, &|i| format!("τ^{i}·G1"))?;
        let mut g2_bytes = vec![0u8; 2 * g2_size as usize];
        read_exact_at(&mut self.reader, self.g2_offset, &mut g2_bytes).map_err(|e| self.io(e))?;
        let size = g2_size as usize;
        let g2 = decode(&g2_bytes[..size], compressed)
            .ok_or_else(|| self.error("G2 is not a point of BN254's G2 curve".into()))?;
        let s_g2 = decode(&g2_bytes[size..], compressed)
            .ok_or_else(|| self.error("τ·G2 is not a point of BN254's G2 curve".into()))?;
        Ok(Powers { g, g2, s_g2 })
    }

    /// The error of this file for `reason`.
    pub(super) fn error(&self, reason: String) -> Error {
        Error::SetupFile {
            path: self.name.clone(),
            reason,
        }
    }

    fn io(&self, source: std::io::Error) -> Error {
        Error::Io {
            path: self.name.clone(),
            source,
        }
    }
}

fn read_exact_at(reader: &mut impl ReadSeek, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
    reader.seek(SeekFrom::Start(offset))?;
    reader.read_exact(buf)
}

/// What a setup file is read from.
trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

/// A point of G1 or G2, from its raw (Montgomery x, y) or compressed encoding; `None` if the
/// bytes are no point of the curve.
fn decode<P: SerdeObject + GroupEncoding>(bytes: &[u8], compressed: bool) -> Option<P> {
    if compressed {
        let mut repr = P::Repr::default();
        repr.as_mut().copy_from_slice(bytes);
        Option::from(P::from_bytes(&repr))
    } else {
        P::from_raw_bytes(bytes)
    }
}

/// The modulus of BN254's base field, little endian, as a `.ptau` header stores it.
pub(super) fn base_field_modulus() -> [u8; 32] {
    // The canonical bytes of q - 1, plus one (q - 1 is even, so no carry).
    let mut q = (-Fq::ONE).to_repr();
    q[0] += 1;
    q
}

/// Where a setup file keeps what is read.
struct Layout {
    format: SetupFormat,
    g1: u64,
    g2: u64,
    lagrange: Option<u64>,
}

/// The step j with ω_h = ω_s^j between halo2's and snarkjs's 2^k-th roots of unity (see the
/// module's documentation), found by walking the powers of ω_s; `None` if there is none.
pub(super) fn snarkjs_index_step(k: u32) -> Option<u64> {
    use halo2curves::bn256::Fr;
    // r - 1 = 2^S·t; ffjavascript's root for 2^S is nqr^t, nqr its smallest non-residue.
    let mut t = [0u64; 4];
    let r_minus_1 = (-Fr::ONE).to_repr();
    for (limb, bytes) in t.iter_mut().zip(r_minus_1.as_ref().chunks(8)) {
        *limb = u64::from_le_bytes(bytes.try_into().ok()?);
    }
    for _ in 0..Fr::S {
        for i in 0..4 {
            t[i] = (t[i] >> 1) | if i < 3 { t[i + 1] << 63 } else { 0 };
        }
    }
    let nqr = (2u64..100)
        .map(Fr::from)
        .find(|x| bool::from(x.sqrt().is_none()))?;
    let root = |base: Fr| {
        let mut w = base;
        for _ in k..Fr::S {
            w = w.square();
        }
        w
    };
    let omega_s = root(nqr.pow_vartime(t));
    let omega_h = root(Fr::ROOT_OF_UNITY);
    let mut power = Fr::ONE;
    for j in 0..1u64 << k {
        if power == omega_h {
            return Some(j);
        }
        power *= omega_s;
    }
    None
}

/// A `.ptau` file's layout.
fn ptau_layout(file: &mut impl ReadSeek, len: u64) -> std::result::Result<Layout, String> {
    let short = |what: &str| format!("{len} bytes: the file ends inside {what}");
    let mut head = [0u8; 8];
    read_exact_at(file, 4, &mut head).map_err(|_| short("the file header"))?;
    let version = u32::from_le_bytes(head[..4].try_into().unwrap());
    let sections = u32::from_le_bytes(head[4..].try_into().unwrap());
    if version != 1 {
        return Err(format!(
            "a .ptau file of version {version}; only version 1 is known"
        ));
    }
    // Section type -> (data offset, data length).
    let mut found: Vec<(u32, u64, u64)> = Vec::new();
    let mut at = 12u64;
    for _ in 0..sections {
        let mut section = [0u8; 12];
        read_exact_at(file, at, &mut section).map_err(|_| short("a section header"))?;
        let kind = u32::from_le_bytes(section[..4].try_into().unwrap());
        let size = u64::from_le_bytes(section[4..].try_into().unwrap());
        let start = at + 12;
        let end = start
            .checked_add(size)
            .filter(|&end| end <= len)
            .ok_or_else(|| short(&format!("section {kind} ({size} bytes declared)")))?;
        if found.iter().any(|&(k, _, _)| k == kind) {
            return Err(format!("section {kind} appears twice"));
        }
        found.push((kind, start, size));
        at = end;
    }
    let section = |kind: u32, name: &str| {
        found
            .iter()
            .find(|&&(k, _, _)| k == kind)
            .map(|&(_, start, size)| (start, size))
            .ok_or_else(|| format!("no section {kind} ({name})"))
    };
    let (header_at, header_len) = section(1, "the header")?;
    if header_len != 4 + 32 + 4 + 4 {
        return Err(format!(
            "a header of {header_len} bytes; a BN254 .ptau header has 44 (other curves are not \
             supported)"
        ));
    }
    let mut header = [0u8; 44];
    read_exact_at(file, header_at, &mut header).map_err(|_| short("the header"))?;
    let n8 = u32::from_le_bytes(header[..4].try_into().unwrap());
    if n8 != 32 || header[4..36] != base_field_modulus() {
        return Err(
            "its curve is not BN254 (bn128 in snarkjs), the only curve zkinfer proves on".into(),
        );
    }
    let power = u32::from_le_bytes(header[36..40].try_into().unwrap());
    let ceremony_power = u32::from_le_bytes(header[40..44].try_into().unwrap());
    if power == 0 || power > MAX_K {
        return Err(format!(
            "power {power}: BN254 setups have a power from 1 to {MAX_K}"
        ));
    }
    let (g1_at, g1_len) = section(2, "τ^i·G1")?;
    let (g2_at, g2_len) = section(3, "τ^i·G2")?;
    let want_g1 = ((1u64 << (power + 1)) - 1) * G1_RAW;
    let want_g2 = (1u64 << power) * G2_RAW;
    if g1_len != want_g1 || g2_len != want_g2 {
        return Err(format!(
            "sections of {g1_len} and {g2_len} bytes for power {power}; expected {want_g1} and \
             {want_g2}"
        ));
    }
    // Section 12, when the file was prepared for phase 2: the bases of 2^p points for p up to
    // the power, then one of 2^(power+1).
    let lagrange = section(12, "")
        .ok()
        .filter(|&(_, size)| size == ((1u64 << (power + 1)) - 1 + (1u64 << (power + 1))) * G1_RAW)
        .map(|(start, _)| start);
    Ok(Layout {
        format: SetupFormat::Ptau {
            power,
            ceremony_power,
        },
        g1: g1_at,
        g2: g2_at,
        lagrange,
    })
}

/// A halo2 parameter file's layout (its length tells raw from compressed points).
fn halo2_layout(k: u32, len: u64) -> std::result::Result<Layout, String> {
    if k == 0 || k > MAX_K {
        return Err(format!(
            "neither a snarkjs .ptau file (no `ptau` magic) nor halo2 KZG parameters (whose first \
             four bytes give k, here {k}, which is not between 1 and {MAX_K})"
        ));
    }
    let n = 1u64 << k;
    let raw = 4 + 2 * n * G1_RAW + 2 * G2_RAW;
    let compressed = 4 + 2 * n * G1_COMPRESSED + 2 * G2_COMPRESSED;
    let layout = |format, g1_size: u64| Layout {
        format,
        g1: 4,
        g2: 4 + 2 * n * g1_size,
        lagrange: Some(4 + n * g1_size),
    };
    if len == raw {
        Ok(layout(SetupFormat::Halo2Raw { k }, G1_RAW))
    } else if len == compressed {
        Ok(layout(SetupFormat::Halo2Compressed { k }, G1_COMPRESSED))
    } else {
        Err(format!(
            "halo2 KZG parameters for k = {k} have {raw} bytes (raw points) or {compressed} \
             (compressed); this file has {len}"
        ))
    }
}
