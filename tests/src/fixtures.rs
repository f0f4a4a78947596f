//! Compiled fixtures built once and shared by every test binary of a run.
//!
//! Key generation is the slow part of most tests, and each test binary is its own process, so
//! an in-process cache alone would still generate the same keys once per binary. A fixture is
//! a directory under `target/<profile>/test-fixtures/<digest>/<name>/`, where the digest covers
//! every source the fixture depends on (`build.rs`: the circuit, the quantizer, the patched
//! halo2, the example model, Cargo.lock). A change to any of them gives a new digest, so a
//! stale fixture is never used; older digests are removed when a new one is made.
//!
//! The first process to need a fixture builds it into a staging directory under an exclusive
//! file lock and renames it into place; every other process (or thread) waits on the lock and
//! then reads the finished directory. Fixtures are read-only: a test that writes into a model
//! directory copies it first ([`copy_dir`]).

use std::fs::File;
use std::path::{Path, PathBuf};
use zkinfer_core::circuit::Visibility;
use zkinfer_core::prove::{CompileOptions, ModelDir};
use zkinfer_core::srs::{default_cache_dir, SrsSource};

/// The digest of the sources fixtures depend on (from build.rs).
pub const SOURCES_DIGEST: &str = env!("ZKINFER_FIXTURE_SOURCES");

/// `target/<profile>/test-fixtures/`, found from the running test binary
/// (`target/<profile>/deps/<binary>`), or `ZKINFER_TEST_FIXTURES` when set.
fn fixtures_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("ZKINFER_TEST_FIXTURES") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("a test binary lives in target/<profile>/deps");
    profile_dir.join("test-fixtures")
}

/// The fixture directory `name`, built by `build` (which fills the directory it is given) the
/// first time any process of this source tree asks for it.
pub fn cached(name: &str, build: impl FnOnce(&Path)) -> PathBuf {
    let root = fixtures_root();
    let here = root.join(SOURCES_DIGEST);
    let dir = here.join(name);
    if dir.is_dir() {
        return dir;
    }
    std::fs::create_dir_all(&here).unwrap_or_else(|e| panic!("{}: {e}", here.display()));
    let lock_path = here.join(format!(".{name}.lock"));
    let lock = File::create(&lock_path).unwrap_or_else(|e| panic!("{}: {e}", lock_path.display()));
    lock.lock()
        .unwrap_or_else(|e| panic!("lock {}: {e}", lock_path.display()));
    if !dir.is_dir() {
        remove_stale_digests(&root);
        let staging = here.join(format!(".{name}.partial-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&staging);
        std::fs::create_dir_all(&staging).unwrap();
        eprintln!("fixture {name}: building (once for source digest {SOURCES_DIGEST})");
        let t0 = std::time::Instant::now();
        build(&staging);
        std::fs::rename(&staging, &dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        eprintln!(
            "fixture {name}: built in {:.1} s",
            t0.elapsed().as_secs_f64()
        );
    }
    dir
}

/// Removes fixture directories of other source digests (older trees).
fn remove_stale_digests(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for e in entries.flatten() {
        if e.file_name() != SOURCES_DIGEST && e.path().is_dir() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Copies the files of fixture directory `from` (one level, plus subdirectories) into `to`,
/// for a test that writes into a model directory.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("{}: {e}", to.display()));
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target)
                .unwrap_or_else(|err| panic!("{}: {err}", target.display()));
        }
    }
}

/// The development parameters, cached in the usual place.
pub fn dev_srs() -> SrsSource {
    SrsSource::Dev {
        cache_dir: default_cache_dir(),
    }
}

/// The bundled MNIST example compiled with `opts` (labels 0-9 added) into `dir`.
pub fn compile_mnist_into(dir: &Path, opts: CompileOptions) {
    let mnist = crate::shared_data::repo().join("examples/mnist");
    let model = zkinfer_core::onnx::load_onnx(mnist.join("model.onnx")).unwrap();
    let cal = std::fs::read_to_string(mnist.join("calibration.json")).unwrap();
    let cal = zkinfer_core::input::parse_samples(&cal, model.input_len()).unwrap();
    let opts = CompileOptions {
        labels: Some((0..10).map(|d| d.to_string()).collect()),
        ..opts
    };
    let compiled = zkinfer_core::prove::compile(&model, &cal, &opts).unwrap();
    ModelDir::new(dir)
        .write(&compiled, &dev_srs(), "mnist (test fixture)\n")
        .unwrap();
}

/// The bundled MNIST example compiled with the library's default options (everything public,
/// the planner's dot width) and labels 0-9: a model directory with its proving key.
pub fn mnist_public() -> PathBuf {
    cached("mnist-public", |dir| {
        compile_mnist_into(dir, CompileOptions::default())
    })
}

/// The same network laid out with dot width 20: another circuit, so another model id, for the
/// same weights and scales (what a lying server could pass off as the served model).
pub fn mnist_public_width20() -> PathBuf {
    cached("mnist-public-width20", |dir| {
        compile_mnist_into(
            dir,
            CompileOptions {
                dot_width: Some(20),
                ..Default::default()
            },
        )
    })
}

/// The bundled MNIST example as `zkinfer compile` makes it by default (hidden weights behind a
/// Poseidon commitment, hashed input, public output) and labels 0-9.
pub fn mnist_served() -> PathBuf {
    cached("mnist-served", |dir| {
        compile_mnist_into(
            dir,
            CompileOptions {
                visibility: Visibility::SERVED,
                ..Default::default()
            },
        )
    })
}

/// A fixture model directory for `visibility`, if there is one.
pub fn mnist_with(visibility: Visibility) -> Option<PathBuf> {
    if visibility == Visibility::SERVED {
        Some(mnist_served())
    } else if visibility == Visibility::PUBLIC {
        Some(mnist_public())
    } else {
        None
    }
}

/// A real proof bundle of held-out digit `digit` (examples/mnist/digits) for [`mnist_public`]:
/// the file's path.
pub fn mnist_public_proof(digit: u8) -> PathBuf {
    let dir = cached(&format!("mnist-public-proof-{digit}"), |dir| {
        let prover = ModelDir::new(mnist_public()).prover(&dev_srs()).unwrap();
        let path =
            crate::shared_data::repo().join(format!("examples/mnist/digits/digit_{digit}.json"));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let input = zkinfer_core::input::parse_single(&text, 784).unwrap();
        let bundle = prover.prove(&input, None).unwrap();
        std::fs::write(dir.join("bundle"), bundle.to_bytes()).unwrap();
    });
    dir.join("bundle")
}
