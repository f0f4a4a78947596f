//! Setup parameters: the development setup is halo2's, and setup files (snarkjs `.ptau`, halo2
//! raw and compressed) give the parameters of their secret, or a typed error that says why not.
//!
//! The `.ptau` files here are written by [`ptau_bytes`], which lays out what snarkjs writes; the
//! test in `prover-native/tests/ceremony.rs` reads files that snarkjs itself made.

use super::file::{SetupFile, SetupFormat};
use super::*;
use halo2_proofs::poly::commitment::Params;
use halo2curves::bn256::{Fr, G1Affine, G2Affine, G1, G2};
use halo2curves::ff::Field;
use halo2curves::group::{prime::PrimeCurveAffine, Curve, GroupEncoding};
use halo2curves::serde::SerdeObject;

fn bytes(p: &ParamsKZG<Bn256>) -> Vec<u8> {
    let mut out = vec![];
    p.write(&mut out).unwrap();
    out
}

#[test]
fn seeded_setup_equals_halo2s_setup() {
    for (k, seed) in [(1, DEV_SEED), (5, DEV_SEED), (9, DEV_SEED), (7, 1234)] {
        let halo2 = ParamsKZG::<Bn256>::setup(k, rand_chacha::ChaCha20Rng::seed_from_u64(seed));
        assert!(
            bytes(&seeded_setup(k, seed)) == bytes(&halo2),
            "k = {k}, seed {seed}: the parameters differ"
        );
    }
}

/// The Lagrange basis of `params` (a private field of halo2's, read back from its raw file).
fn lagrange_of(params: &ParamsKZG<Bn256>) -> Vec<G1Affine> {
    let mut out = vec![];
    params
        .write_custom(&mut out, halo2_proofs::SerdeFormat::RawBytes)
        .unwrap();
    let n = 1usize << params.k();
    out[4 + n * 64..4 + 2 * n * 64]
        .chunks(64)
        .map(|p| G1Affine::from_raw_bytes(p).unwrap())
        .collect()
}

/// The secret of the development setup (as `seeded_setup` draws it).
fn dev_secret() -> Fr {
    Fr::random(rand_chacha::ChaCha20Rng::seed_from_u64(DEV_SEED))
}

fn powers<C: Curve + std::ops::Mul<Fr, Output = C>>(
    base: C,
    tau: Fr,
    count: usize,
) -> Vec<C::AffineRepr> {
    let mut power = Fr::ONE;
    (0..count)
        .map(|_| {
            let p = (base * power).to_affine();
            power *= tau;
            p
        })
        .collect()
}

/// What a snarkjs ceremony file of `power` holds: τ^i·G1 for i < 2^(power+1) - 1 and τ^i·G2 for
/// i < 2^power.
struct Ptau {
    power: u32,
    g1: Vec<G1Affine>,
    g2: Vec<G2Affine>,
    /// Section 12 of a file prepared for phase 2, when there is one.
    lagrange: Option<Vec<G1Affine>>,
}

impl Ptau {
    fn of_secret(tau: Fr, power: u32) -> Ptau {
        Ptau {
            power,
            g1: powers(G1::generator(), tau, (1 << (power + 1)) - 1),
            g2: powers(G2::generator(), tau, 1 << power),
            lagrange: None,
        }
    }

    /// The development secret's file prepared for phase 2: the Lagrange bases of every 2^p,
    /// p <= power, in snarkjs's order (halo2's point i at i·j mod 2^p, ω_h = ω_s^j), then a
    /// last block of 2^(power+1) points that is never read (left at the identity here).
    fn dev_prepared(power: u32) -> Ptau {
        let mut ptau = Ptau::of_secret(dev_secret(), power);
        let mut lagrange = vec![];
        for p in 0..=power {
            let halo2 = lagrange_of(&seeded_setup(p, DEV_SEED));
            let n = 1u64 << p;
            let j = file::snarkjs_index_step(p).unwrap();
            let mut snarkjs = vec![G1Affine::identity(); n as usize];
            for (i, point) in halo2.iter().enumerate() {
                snarkjs[((i as u64 * j) % n) as usize] = *point;
            }
            lagrange.extend(snarkjs);
        }
        lagrange.extend(vec![G1Affine::identity(); 1 << (power + 1)]);
        ptau.lagrange = Some(lagrange);
        ptau
    }

    /// The file, laid out as snarkjs writes it: sections 1 (header), 2 (τ^i·G1), 3 (τ^i·G2)
    /// and 7 (contributions, empty here), points affine in Montgomery form.
    fn bytes(&self) -> Vec<u8> {
        let mut header = 32u32.to_le_bytes().to_vec();
        header.extend(file::base_field_modulus());
        header.extend(self.power.to_le_bytes());
        header.extend(28u32.to_le_bytes());
        let g1: Vec<u8> = self.g1.iter().flat_map(|p| p.to_raw_bytes()).collect();
        let g2: Vec<u8> = self.g2.iter().flat_map(|p| p.to_raw_bytes()).collect();
        let mut sections = vec![
            (1, header),
            (2, g1),
            (3, g2),
            (7, 0u32.to_le_bytes().to_vec()),
        ];
        if let Some(lagrange) = &self.lagrange {
            sections.push((12, lagrange.iter().flat_map(|p| p.to_raw_bytes()).collect()));
        }
        ptau_bytes(&sections)
    }
}

fn ptau_bytes(sections: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut out = b"ptau".to_vec();
    out.extend(1u32.to_le_bytes());
    out.extend((sections.len() as u32).to_le_bytes());
    for (kind, data) in sections {
        out.extend(kind.to_le_bytes());
        out.extend((data.len() as u64).to_le_bytes());
        out.extend(data);
    }
    out
}

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn load_err(path: &Path, k: u32) -> String {
    match load_setup_file(path, k) {
        Ok(_) => panic!("{} was accepted at k = {k}", path.display()),
        Err(e) => {
            assert!(
                matches!(e, Error::SetupFile { .. } | Error::Io { .. }),
                "{e:?}"
            );
            e.to_string()
        }
    }
}

fn assert_err(path: &Path, k: u32, expected: &str) {
    let message = load_err(path, k);
    assert!(
        message.contains(expected),
        "expected '{expected}' in: {message}"
    );
}

#[test]
fn a_ptau_file_gives_the_parameters_of_its_secret_at_every_k_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "dev.ptau", &Ptau::of_secret(dev_secret(), 4).bytes());
    let mut file = SetupFile::open(&path).unwrap();
    assert_eq!(
        file.format,
        SetupFormat::Ptau {
            power: 4,
            ceremony_power: 28
        }
    );
    assert_eq!(file.powers(4).unwrap().g.len(), 16);
    for k in [1, 3, 4] {
        let loaded = load_setup_file(&path, k).unwrap();
        assert!(
            bytes(&loaded) == bytes(&seeded_setup(k, DEV_SEED)),
            "k = {k}"
        );
        assert_eq!(
            crate::setup::params_setup_digest(&loaded),
            crate::setup::DEVELOPMENT_SETUP_DIGEST
        );
    }
    assert_err(&path, 5, "up to k = 4, the circuit needs k = 5");
}

#[test]
fn a_ptau_file_prepared_for_phase_2_gives_its_lagrange_basis_checked() {
    let dir = tempfile::tempdir().unwrap();
    let prepared = Ptau::dev_prepared(4);
    let path = write(&dir, "prepared.ptau", &prepared.bytes());
    for k in [1, 2, 4] {
        assert!(SetupFile::open(&path)
            .unwrap()
            .lagrange(k)
            .unwrap()
            .is_some());
        let loaded = load_setup_file(&path, k).unwrap();
        assert!(
            bytes(&loaded) == bytes(&seeded_setup(k, DEV_SEED)),
            "k = {k}"
        );
    }
    // One point of the basis for k = 3 (points 7..15 of the section) replaced by another:
    // refused at k = 3, while k = 2 does not read it.
    let mut wrong = Ptau::dev_prepared(4);
    let basis = wrong.lagrange.as_mut().unwrap();
    basis[7 + 5] = (basis[7 + 5] + G1::generator()).to_affine();
    let path = write(&dir, "wrong-basis.ptau", &wrong.bytes());
    assert_err(
        &path,
        3,
        "its Lagrange basis for k = 3 is not the Lagrange basis of its powers",
    );
    assert!(load_setup_file(&path, 2).is_ok());
}

#[test]
fn halo2_parameter_files_raw_and_compressed_give_the_same_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let params = seeded_setup(4, DEV_SEED);
    for (format, name) in [
        (halo2_proofs::SerdeFormat::RawBytes, "raw"),
        (halo2_proofs::SerdeFormat::Processed, "compressed"),
    ] {
        let mut out = vec![];
        params.write_custom(&mut out, format).unwrap();
        let path = write(&dir, name, &out);
        assert_eq!(SetupFile::open(&path).unwrap().format.max_k(), 4);
        for k in [2, 4] {
            let loaded = load_setup_file(&path, k).unwrap();
            assert!(
                bytes(&loaded) == bytes(&seeded_setup(k, DEV_SEED)),
                "{name}, k = {k}"
            );
        }
        assert_err(&path, 5, "up to k = 4");
        assert_err(
            &write(&dir, "short", &out[..out.len() - 1]),
            2,
            "this file has",
        );
    }
    // The development cache reads the same layout, and a damaged one is made again.
    let cache = tempfile::tempdir().unwrap();
    let source = SrsSource::Dev {
        cache_dir: cache.path().to_path_buf(),
    };
    let first = bytes(&source.load(3).unwrap());
    let cached = cache.path().join("dev-kzg-bn254-k3.params");
    let mut damaged = std::fs::read(&cached).unwrap();
    damaged.truncate(damaged.len() / 2);
    std::fs::write(&cached, &damaged).unwrap();
    assert!(bytes(&source.load(3).unwrap()) == first);
    std::fs::write(&cached, 60u32.to_le_bytes()).unwrap();
    assert!(bytes(&source.load(3).unwrap()) == first);
}

#[test]
fn files_that_are_not_setups_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let good = Ptau::of_secret(dev_secret(), 3);
    assert_err(&write(&dir, "empty", b""), 3, "too short");
    assert_err(
        &write(&dir, "text", b"hello, world"),
        3,
        "neither a snarkjs .ptau file",
    );
    let mut huge_k = vec![0u8; 300];
    huge_k[..4].copy_from_slice(&60u32.to_le_bytes());
    assert_err(&write(&dir, "k60", &huge_k), 3, "not between 1 and 28");
    assert_err(&write(&dir, "none", b""), 3, "too short");
    assert_err(&dir.path().join("missing.ptau"), 3, "cannot read");

    let file = good.bytes();
    assert_err(
        &write(&dir, "cut.ptau", &file[..file.len() - 100]),
        3,
        "the file ends inside",
    );
    let mut v2 = file.clone();
    v2[4] = 2;
    assert_err(&write(&dir, "v2.ptau", &v2), 3, "version 2");
    let mut other_curve = file.clone();
    other_curve[12 + 12 + 4] ^= 1; // the first byte of q
    assert_err(&write(&dir, "bls.ptau", &other_curve), 3, "not BN254");
    let header = |power: u32| {
        let mut h = 32u32.to_le_bytes().to_vec();
        h.extend(file::base_field_modulus());
        h.extend(power.to_le_bytes());
        h.extend(28u32.to_le_bytes());
        h
    };
    assert_err(
        &write(&dir, "nog1.ptau", &ptau_bytes(&[(1, header(3))])),
        3,
        "no section 2",
    );
    let twice = ptau_bytes(&[(1, header(3)), (1, header(3))]);
    assert_err(
        &write(&dir, "twice.ptau", &twice),
        3,
        "section 1 appears twice",
    );
    let wrong_size = ptau_bytes(&[(1, header(3)), (2, vec![0; 64]), (3, vec![0; 128])]);
    assert_err(
        &write(&dir, "size.ptau", &wrong_size),
        3,
        "expected 960 and 1024",
    );
    assert_err(
        &write(&dir, "p40.ptau", &ptau_bytes(&[(1, header(40))])),
        3,
        "power 40",
    );

    // A coordinate changed: no longer on the curve.
    let mut off_curve = file.clone();
    let g1_at = 12 + 12 + 44 + 12;
    off_curve[g1_at + 2 * 64 + 40] ^= 1;
    assert_err(
        &write(&dir, "off.ptau", &off_curve),
        3,
        "τ^2·G1 is not a point of BN254's G1",
    );
}

#[test]
fn points_that_are_not_powers_of_one_secret_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let tau = dev_secret();
    let refused = |name: &str, ptau: &Ptau, expected: &str| {
        assert_err(&write(&dir, name, &ptau.bytes()), 3, expected);
    };
    // One power of eight replaced by another point of the curve.
    let mut one_wrong = Ptau::of_secret(tau, 3);
    one_wrong.g1[5] = (one_wrong.g1[5] + G1::generator()).to_affine();
    refused(
        "one.ptau",
        &one_wrong,
        "not the successive powers of one secret",
    );
    // The last power the circuit reads is checked too; the ones beyond it are not read.
    let mut last_wrong = Ptau::of_secret(tau, 3);
    last_wrong.g1[7] = last_wrong.g1[6];
    refused("last.ptau", &last_wrong, "not the successive powers");
    let mut beyond = Ptau::of_secret(tau, 3);
    beyond.g1[8] = beyond.g1[6];
    assert!(load_setup_file(&write(&dir, "beyond.ptau", &beyond.bytes()), 3).is_ok());
    // τ·G2 of another secret.
    let mut mixed = Ptau::of_secret(tau, 3);
    mixed.g2[1] = (G2::generator() * (tau + Fr::ONE)).to_affine();
    refused("mixed.ptau", &mixed, "different secrets");
    // τ = 1 and τ = 0.
    refused(
        "one-secret.ptau",
        &Ptau::of_secret(Fr::ONE, 3),
        "τ is 0 or 1",
    );
    refused(
        "zero-secret.ptau",
        &Ptau::of_secret(Fr::ZERO, 3),
        "τ is 0 or 1",
    );
    // Another generator: everything consistent, but not the standard setup.
    let mut shifted = Ptau::of_secret(tau, 3);
    shifted.g1 = powers(G1::generator() * Fr::from(2), tau, 15);
    refused("shifted.ptau", &shifted, "standard generators");
    // τ·G2 on the curve but outside the prime-order subgroup (the cofactor of BN254's G2 is
    // not 1; a point decompressed from an arbitrary x almost never lies in the subgroup).
    let outside = (1u8..)
        .find_map(|x| {
            let mut repr = <G2Affine as GroupEncoding>::Repr::default();
            repr.as_mut()[0] = x;
            Option::<G2Affine>::from(G2Affine::from_bytes(&repr))
        })
        .unwrap();
    let mut twisted = Ptau::of_secret(tau, 3);
    twisted.g2[1] = outside;
    refused("twisted.ptau", &twisted, "outside the prime-order subgroup");
}

#[test]
fn keys_made_from_a_setup_file_carry_its_digest_not_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let tau = dev_secret() + Fr::ONE;
    let a = write(&dir, "a.ptau", &Ptau::of_secret(tau, 3).bytes());
    let b = write(&dir, "b.ptau", &Ptau::of_secret(tau, 3).bytes());
    let (sa, sb) = (SrsSource::File(a), SrsSource::File(b));
    let (pa, pb) = (sa.load(3).unwrap(), sb.load(3).unwrap());
    let digest = crate::setup::params_setup_digest(&pa);
    assert_eq!(sa.label(&pa), format!("setup {digest}"));
    assert_eq!(sa.label(&pa), sb.label(&pb));
    assert_ne!(digest, crate::setup::DEVELOPMENT_SETUP_DIGEST);
    assert_ne!(sa.describe(), sb.describe());
}
