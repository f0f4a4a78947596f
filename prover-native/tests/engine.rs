//! The job engine over PostgreSQL, as an operator runs it: `zkinfer serve --database` queues
//! proof jobs (a chain's segments as separate jobs) and `zkinfer worker` processes prove them.
//! Needs a PostgreSQL server where it may create databases: `ZKINFER_TEST_DATABASE`, a URL
//! such as `.ci/run` exports after starting one (scripts/test-postgres.sh); without it the
//! test is skipped, unless `ZKINFER_REQUIRE_DATABASE=1` (set by `.ci/run`) makes that a failure.

mod common;

use common::Server;
use serde_json::Value;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A fresh database on the test server, or `None` (skip) when there is no server and none is
/// required.
fn fresh_database(name: &str) -> Option<String> {
    let Ok(server) = std::env::var("ZKINFER_TEST_DATABASE") else {
        assert!(
            std::env::var("ZKINFER_REQUIRE_DATABASE").as_deref() != Ok("1"),
            "ZKINFER_REQUIRE_DATABASE=1 but ZKINFER_TEST_DATABASE is not set \
             (scripts/test-postgres.sh start DIR prints one)"
        );
        eprintln!("skipped: no ZKINFER_TEST_DATABASE (see scripts/test-postgres.sh)");
        return None;
    };
    let db = format!("zkinfer_{name}_{}", std::process::id());
    psql(&server, &format!("DROP DATABASE IF EXISTS {db}"));
    psql(&server, &format!("CREATE DATABASE {db}"));
    let (base, _) = server
        .rsplit_once('/')
        .expect("a database URL ends in /DBNAME");
    Some(format!("{base}/{db}"))
}

/// Runs one SQL statement with psql, returning its unaligned output.
fn psql(url: &str, sql: &str) -> String {
    let o = Command::new("psql")
        .args([url, "-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .expect("psql (Debian's postgresql-client) runs");
    assert!(
        o.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// What a consumer reads off the served model's card: its id, its commitment, its input length.
fn first_card(srv: &Server) -> (String, String, usize) {
    let card = srv.get("/api/models").json()["models"][0].clone();
    let text = |field: &str| card[field].as_str().unwrap().to_string();
    let input_len = card["input"]["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .product();
    (text("id"), text("model_commitment"), input_len)
}

/// Every pin a consumer of a salted-input model with hidden weights holds.
fn consumer_pins(
    id: &str,
    commitment: &str,
    input: &[f32],
    salt: &str,
) -> zkinfer_core::pinned::Pins {
    zkinfer_core::pinned::Pins {
        model_id: Some(id.to_string()),
        commitment: Some(commitment.to_string()),
        input: Some(zkinfer_core::pinned::SentInput::Values(input.to_vec())),
        input_salt: Some(zkinfer_core::commitment::parse_input_salt(salt).unwrap()),
        ..Default::default()
    }
}

struct Worker {
    child: Child,
    log: std::path::PathBuf,
}

impl Worker {
    fn start(model: &Path, database: &str, log: std::path::PathBuf) -> Worker {
        let child = Command::new(env!("CARGO_BIN_EXE_zkinfer"))
            .args(["worker", "--database", database, "--heartbeat", "1"])
            .arg(model)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start zkinfer worker");
        Worker { child, log }
    }

    fn log(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = std::fs::File::open(&self.log) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }

    /// Waits until the worker's log says `what`.
    fn wait_for(&self, what: &str) {
        self.wait_for_line(what, |line| line.contains(what));
    }

    /// Waits until a line of the worker's log is one `is_it` accepts (`what` names it).
    fn wait_for_line(&self, what: &str, is_it: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while !self.log().lines().any(&is_it) {
            assert!(
                Instant::now() < deadline,
                "the worker never logged {what}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- worker log ---\n{}", self.log());
        }
    }
}

/// Two receipts of a 3-segment chain are queued with no worker running; a third prediction
/// gets 429 (the queue holds two); the server is killed and restarted on the same database
/// and still has both; a worker is killed with SIGKILL in the middle of a segment proof; a
/// second worker process takes every job, the killed one included (the database shows it
/// started twice), and both proofs verify against the chain key and every pin a consumer
/// holds.
#[test]
fn proof_jobs_survive_a_killed_worker_and_a_restarted_server() {
    use zkinfer_core::pinned::verify_pinned;
    let Some(db) = fresh_database("kill") else {
        return;
    };
    let t0 = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let chain = tmp.path().join("chain");
    let segments = common::compile_small_chain(&chain);
    let data = tmp.path().join("data");
    let serve_args = [
        "--database",
        db.as_str(),
        "--workers",
        "0",
        "--queue-size",
        "2",
    ];
    let srv = Server::start(&chain, &data, tmp.path().join("server.log"), &serve_args);
    let (id, commitment, n) = first_card(&srv);
    let inputs: Vec<Vec<f32>> = (0..2)
        .map(|k| {
            (0..n)
                .map(|i| ((i * 7 + k * 3) % 11) as f32 / 10.0 - 0.4)
                .collect()
        })
        .collect();
    let predict = format!("/api/models/{id}/predict");
    let answers: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(k, x)| {
            let body = serde_json::json!({ "input_data": [x] }).to_string();
            let a = srv.post(&predict, body.as_bytes()).json();
            assert_eq!(a["status"], "queued", "{a}");
            assert_eq!(a["position"], k + 1, "{a}");
            a
        })
        .collect();
    let body = serde_json::json!({ "input_data": [inputs[0]] }).to_string();
    let e = srv.post(&predict, body.as_bytes()).error(429);
    assert!(e.contains("queue is full"), "{e}");
    let health = srv.get("/api/health").json();
    assert_eq!(health["queued"], 2, "{health}");
    // One job per segment, in the model's own queue.
    let jobs = psql(
        &db,
        &format!("SELECT count(*) FROM apalis.jobs WHERE job_type = 'zkinfer-proof-{id}'"),
    );
    assert_eq!(jobs, (2 * segments).to_string());

    // A crash of the server loses nothing: the restarted one has both receipts, still queued.
    srv.kill();
    let srv = Server::start(&chain, &data, tmp.path().join("server2.log"), &serve_args);
    let receipts: Vec<String> = answers
        .iter()
        .map(|a| a["receipt"].as_str().unwrap().to_string())
        .collect();
    for r in &receipts {
        let rec = srv.get(&format!("/api/receipts/{r}")).json();
        assert_eq!(rec["status"], "queued", "{rec}");
    }

    // Worker A is killed in the middle of its first segment proof.
    let a = Worker::start(&chain, &db, tmp.path().join("worker-a.log"));
    // The line a job's proof starts with names its attempt; "proving keys' ... cosets held",
    // logged at start-up, does not (waiting for " proving" alone matched it, and A was
    // sometimes killed before it had taken any job).
    a.wait_for_line("that it is proving a segment", |line| {
        line.contains(" proving") && line.contains("attempt")
    });
    std::thread::sleep(Duration::from_millis(300));
    let mut a = a;
    a.child.kill().unwrap(); // SIGKILL
    a.child.wait().unwrap();
    assert!(
        !a.log().contains("segment proof stored") && !a.log().contains("proof done"),
        "worker A finished a proof before it was killed: make the kill earlier\n{}",
        a.log()
    );
    let b = Worker::start(&chain, &db, tmp.path().join("worker-b.log"));
    let key = srv.get(&format!("/api/models/{id}/verifier-key")).body;
    for (r, (answer, input)) in receipts.iter().zip(answers.iter().zip(&inputs)) {
        let bundle = srv.wait_proof(r);
        assert_eq!(
            bundle.status,
            200,
            "{}\n{}",
            String::from_utf8_lossy(&bundle.body),
            b.log()
        );
        let salt = answer["input_salt"].as_str().unwrap();
        let pins = consumer_pins(&id, &commitment, input, salt);
        let verdict = verify_pinned(&key, &bundle.body, &pins).expect("the chain proof verifies");
        assert_eq!(verdict.segments as u64, segments);
        let said = common::numbers(&answer["output"]);
        assert_eq!(verdict.verified.output_values, said);
        let rec = srv.get(&format!("/api/receipts/{r}")).json();
        assert_eq!(rec["status"], "done", "{rec}");
    }
    // The killed worker's job was started again (by B), and nothing is left behind.
    let restarted = psql(
        &db,
        "SELECT count(*) FROM apalis.jobs WHERE attempts >= 2 AND status = 'Done'",
    );
    assert_eq!(restarted, "1", "{}", b.log());
    assert_eq!(
        psql(
            &db,
            "SELECT count(*) FROM apalis.jobs WHERE status <> 'Done'"
        ),
        "0"
    );
    for table in ["zkinfer.tasks", "zkinfer.segment_proofs"] {
        assert_eq!(psql(&db, &format!("SELECT count(*) FROM {table}")), "0");
    }
    // `zkinfer prove --database` queues its segments for the same workers and writes the
    // chain bundle they make.
    let input_file = tmp.path().join("input.json");
    std::fs::write(
        &input_file,
        serde_json::json!({ "input_data": [inputs[1]] }).to_string(),
    )
    .unwrap();
    let out = tmp.path().join("cli.proof");
    let salt = "0x".to_string() + &"0".repeat(62) + "2a";
    let o = common::zkinfer(&[
        "prove",
        chain.to_str().unwrap(),
        "--input",
        input_file.to_str().unwrap(),
        "--input-salt",
        &salt,
        "--database",
        &db,
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}\n{}", common::text(&o), b.log());
    let pins = consumer_pins(&id, &commitment, &inputs[1], &salt);
    let bundle = std::fs::read(&out).unwrap();
    let verdict = verify_pinned(&key, &bundle, &pins).expect("the CLI's chain proof verifies");
    assert_eq!(verdict.segments as u64, segments);
    drop(b);
    drop(srv);
    eprintln!("done in {:.1} s", t0.elapsed().as_secs_f64());
}

/// `zkinfer serve --database` with its own worker proves a model of one circuit through the
/// database (one job per receipt): the proof verifies against the served key and shows the
/// answer; with `--prove on-request` nothing is queued until the proof is first asked for.
#[test]
fn a_server_with_its_own_worker_proves_one_circuit_models_through_the_database() {
    let Some(db) = fresh_database("own") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("mnist");
    common::compile_mnist(&model, None);
    let srv = Server::start(
        &model,
        &tmp.path().join("data"),
        tmp.path().join("server.log"),
        &[
            "--database",
            db.as_str(),
            "--workers",
            "1",
            "--heartbeat",
            "1",
            "--prove",
            "on-request",
        ],
    );
    let id = srv.get("/api/models").json()["models"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let answer = srv
        .post(&format!("/api/models/{id}/predict"), &common::digit(3))
        .json();
    assert_eq!(answer["status"], "unproven", "{answer}");
    let receipt = answer["receipt"].as_str().unwrap();
    assert_eq!(psql(&db, "SELECT count(*) FROM apalis.jobs"), "0");
    let bundle = srv.wait_proof(receipt);
    assert_eq!(
        bundle.status,
        200,
        "{}",
        String::from_utf8_lossy(&bundle.body)
    );
    let key = srv.get(&format!("/api/models/{id}/verifier-key")).body;
    let vk = zkinfer_core::VerifierKey::from_bytes(&key).unwrap();
    let v = zkinfer_core::verify(&vk, &bundle.body).expect("the served proof verifies");
    assert_eq!(v.model_id, id);
    assert_eq!(
        v.predicted_class.unwrap() as u64,
        answer["predicted_class"].as_u64().unwrap()
    );
    assert_eq!(
        psql(
            &db,
            "SELECT count(*) FROM apalis.jobs WHERE status = 'Done'"
        ),
        "1"
    );
    // The receipt is done and no longer holds the input.
    let stored = psql(
        &db,
        &format!("SELECT body->'input' FROM zkinfer.receipts WHERE id = '{receipt}'"),
    );
    assert_eq!(stored, "[]");
}

/// The bundle a worker assembles is verified before its receipt says `done`: a segment proof
/// changed in the database while the worker is stopped (SIGSTOP) makes the receipt fail with
/// the verifier's reason, and no proof is served for it.
#[test]
fn a_chain_bundle_that_does_not_verify_is_never_served() {
    let Some(db) = fresh_database("bad") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let chain = tmp.path().join("chain");
    common::compile_small_chain(&chain);
    let srv = Server::start(
        &chain,
        &tmp.path().join("data"),
        tmp.path().join("server.log"),
        &["--database", db.as_str(), "--workers", "0"],
    );
    let (id, _, n) = first_card(&srv);
    let body = serde_json::json!({ "input_data": [vec![0.25f32; n]] }).to_string();
    let answer = srv
        .post(&format!("/api/models/{id}/predict"), body.as_bytes())
        .json();
    let receipt = answer["receipt"].as_str().unwrap();
    let w = Worker::start(&chain, &db, tmp.path().join("worker.log"));
    w.wait_for("segment proof stored");
    let pid = w.child.id().to_string();
    let signal = |s: &str| {
        assert!(Command::new("kill")
            .args([s, &pid])
            .status()
            .unwrap()
            .success())
    };
    signal("-STOP");
    // One bit of the first segment's proof, near its end (the proof's own bytes).
    psql(
        &db,
        "UPDATE zkinfer.segment_proofs SET bundle = \
         set_byte(bundle, length(bundle) - 40, get_byte(bundle, length(bundle) - 40) # 1) \
         WHERE segment = 0",
    );
    signal("-CONT");
    let e = srv.wait_proof(receipt).error(500);
    assert!(e.starts_with("proving failed: "), "{e}");
    assert!(e.contains("rejected"), "{e}\n{}", w.log());
    let rec = srv.get(&format!("/api/receipts/{receipt}")).json();
    assert_eq!(rec["status"], "failed", "{rec}");
    assert_eq!(psql(&db, "SELECT count(*) FROM zkinfer.proofs"), "0");
}

/// Workers (and servers) start together on a fresh database: each creates the tables it needs
/// if they are missing, one at a time, and all of them start.
#[test]
fn workers_starting_together_on_a_fresh_database_all_start() {
    let Some(db) = fresh_database("together") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("mnist");
    common::compile_mnist(&model, None);
    let workers: Vec<Worker> = (0..4)
        .map(|i| Worker::start(&model, &db, tmp.path().join(format!("worker-{i}.log"))))
        .collect();
    for w in &workers {
        w.wait_for("taking proof jobs");
    }
}
