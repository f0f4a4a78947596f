//! `zkinfer serve` as a client sees it, over loopback: model cards, immediate predictions,
//! proofs from the bounded queue that verify against the served key, JSON errors with the right
//! status codes, 429 under a burst, COOP/COEP headers, and receipts that survive a restart
//! (pending ones reported as interrupted). One server at a time, so the two cores go to proving.

mod common;

use common::{compile_mnist, digit, Resp, Server};
use serde_json::Value;
use std::process::Command;
use std::time::{Duration, Instant};

/// Verifies a bundle against the served key; checks it proves `prediction`.
fn check_bundle(bundle: &Resp, vk: &zkinfer_core::VerifierKey, prediction: &Value) {
    assert_eq!(bundle.status, 200);
    assert_eq!(bundle.content_type, "application/octet-stream");
    let v = zkinfer_core::verify(vk, &bundle.body).expect("the served proof verifies");
    assert_eq!(v.model_id, prediction["model_id"].as_str().unwrap());
    assert_eq!(
        v.predicted_class.unwrap() as u64,
        prediction["predicted_class"].as_u64().unwrap()
    );
    let claimed = common::numbers(&prediction["output"]);
    assert_eq!(v.output_values.len(), claimed.len());
    for (a, b) in v.output_values.iter().zip(&claimed) {
        assert!((a - b).abs() < 1e-9, "{:?} vs {claimed:?}", v.output_values);
    }
}

/// POSTs `body` and returns the response's status line, reading the answer while the body is
/// still being sent: a server that refuses a body it has only partly read answers and closes,
/// and a client that only reads after writing everything would see a broken pipe instead.
fn post_reading_early_answer(base: &str, path: &str, body: &[u8]) -> String {
    use std::io::{BufRead, BufReader, Write};
    let addr = base.trim_start_matches("http://");
    let stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let request = [
        format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes(),
        body.to_vec(),
    ]
    .concat();
    // Write errors (the server closing early) are expected; the answer is what counts.
    let sender = std::thread::spawn(move || {
        let _ = writer.write_all(&request);
    });
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).unwrap();
    let _ = sender.join();
    line.trim_end().to_string()
}

#[test]
fn serve_help_documents_every_flag() {
    let o = Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let help = String::from_utf8_lossy(&o.stdout);
    for flag in [
        "--addr",
        "--workers",
        "--queue-size",
        "--max-body",
        "--proof-timeout",
        "--data-dir",
        "--web",
        "--params",
        "--cache-dir",
        "--database",
        "--heartbeat",
        "/api/models",
        "/api/proofs/{receipt}",
    ] {
        assert!(help.contains(flag), "serve --help lacks {flag}:\n{help}");
    }
    let o = Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .args(["serve", "--workers", "0", "x"])
        .output()
        .unwrap();
    // Without a job engine's database, nothing would prove: refused before the models load.
    assert_eq!(o.status.code(), Some(1), "--workers 0 is refused");
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(said.contains("--workers 0 goes with --database"), "{said}");
    for bad in ["verify.example", "https://verify.example/page", "ftp://x"] {
        let o = Command::new(env!("CARGO_BIN_EXE_zkinfer"))
            .args(["serve", "--allow-origin", bad, "x"])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "--allow-origin {bad} is refused");
        assert!(String::from_utf8_lossy(&o.stderr).contains("is not an origin"));
    }
}

/// CORS on the API: a page of the allowed origin may call it (the preflight of a JSON POST is
/// answered, the proof signature header is readable), a page of another origin may not, and
/// `--allow-origin none` allows no other origin at all.
#[test]
fn the_api_answers_browsers_of_the_allowed_origin_only() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("mnist");
    compile_mnist(&model, None);
    let origin_header = |url: &str, origin: &str| {
        ureq::get(url)
            .set("Origin", origin)
            .call()
            .unwrap()
            .header("access-control-allow-origin")
            .map(String::from)
    };
    let srv = Server::start(
        &model,
        &tmp.path().join("data-one"),
        tmp.path().join("one.log"),
        &["--allow-origin", "https://verify.example"],
    );
    let preflight = ureq::request("OPTIONS", &srv.url("/api/models/x/predict"))
        .set("Origin", "https://verify.example")
        .set("Access-Control-Request-Method", "POST")
        .set("Access-Control-Request-Headers", "content-type")
        .call()
        .unwrap();
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("https://verify.example")
    );
    assert!(preflight
        .header("access-control-allow-methods")
        .is_some_and(|m| m.contains("POST")));
    let models = srv.url("/api/models");
    assert_eq!(
        origin_header(&models, "https://verify.example").as_deref(),
        Some("https://verify.example")
    );
    assert_eq!(origin_header(&models, "https://elsewhere.example"), None);
    drop(srv);
    let srv = Server::start(
        &model,
        &tmp.path().join("data-none"),
        tmp.path().join("none.log"),
        &["--allow-origin", "none"],
    );
    assert_eq!(
        origin_header(&srv.url("/api/models"), "https://verify.example"),
        None
    );
}

#[test]
fn serve_predict_prove_verify_and_restart() {
    let t0 = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("mnist");
    compile_mnist(&model, None);
    let data = tmp.path().join("data");
    let web = tmp.path().join("web");
    std::fs::create_dir(&web).unwrap();
    std::fs::write(web.join("index.html"), "<p>zkinfer verifier</p>").unwrap();
    let w = web.to_str().unwrap();
    let srv = Server::start(
        &model,
        &data,
        tmp.path().join("server1.log"),
        &[
            "--queue-size",
            "1",
            "--workers",
            "1",
            "--max-body",
            "65536",
            "--web",
            w,
        ],
    );
    eprintln!(
        "compiled and started in {:.1} s",
        t0.elapsed().as_secs_f64()
    );

    // Model cards and the verifier key.
    let list = srv.get("/api/models");
    assert_eq!(list.status, 200);
    assert_eq!(list.coop.as_deref(), Some("same-origin"));
    assert_eq!(list.coep.as_deref(), Some("require-corp"));
    let cards = list.json()["models"].as_array().unwrap().clone();
    assert_eq!(cards.len(), 1);
    let id = cards[0]["id"].as_str().unwrap().to_string();
    let card = srv.get(&format!("/api/models/{id}")).json();
    assert_eq!(card, cards[0]);
    assert_eq!(card["input"]["shape"], serde_json::json!([1, 1, 28, 28]));
    assert!(card["input"]["frac_bits"].is_i64() && card["output"]["frac_bits"].is_i64());
    assert_eq!(card["output"]["shape"], serde_json::json!([1, 10]));
    assert_eq!(card["labels"].as_array().unwrap().len(), 10);
    assert!(card["k"].as_u64().unwrap() > 0);
    assert!(card["public"]["weights"]
        .as_str()
        .unwrap()
        .contains("verifying key"));
    let vk_resp = srv.get(&format!("/api/models/{id}/verifier-key"));
    assert_eq!(vk_resp.status, 200);
    assert_eq!(vk_resp.content_type, "application/octet-stream");
    assert_eq!(zkinfer_core::verifier_key::model_id(&vk_resp.body), id);
    let vk = zkinfer_core::VerifierKey::from_bytes(&vk_resp.body).unwrap();

    // Static files, with the cross-origin isolation headers.
    let index = srv.get("/");
    assert_eq!(index.status, 200);
    assert!(String::from_utf8_lossy(&index.body).contains("zkinfer verifier"));
    assert_eq!(index.coop.as_deref(), Some("same-origin"));
    assert_eq!(index.coep.as_deref(), Some("require-corp"));

    // A held-out 3: the prediction comes back at once, the proof later.
    let predict = format!("/api/models/{id}/predict");
    let t = Instant::now();
    let p3 = srv.post(&predict, &digit(3));
    assert_eq!(p3.status, 200, "{}", String::from_utf8_lossy(&p3.body));
    let p3 = p3.json();
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "prediction was not immediate"
    );
    assert_eq!(p3["predicted_class"], 3);
    assert_eq!(p3["predicted_label"], "3");
    let r3 = p3["receipt"].as_str().unwrap().to_string();
    assert_eq!(r3.len(), 32);

    // Bad requests, while that proof is pending. First wait until the worker has taken it: with
    // --queue-size 1 a predict arriving while it still waits would rightly get 429, not 400.
    let deadline = Instant::now() + Duration::from_secs(30);
    while let r @ Resp { status: 202, .. } = srv.get(&format!("/api/proofs/{r3}")) {
        if r.json()["status"] != "queued" {
            break;
        }
        assert!(Instant::now() < deadline, "the worker never took the job");
        std::thread::sleep(Duration::from_millis(20));
    }
    let e = srv
        .post(&predict, br#"{"input_data": [[0.5, 0.25, 1.0]]}"#)
        .error(400);
    assert!(e.contains("784"), "{e}");
    assert!(srv
        .post(&predict, b"this is not json")
        .error(400)
        .contains("JSON"));
    let mut huge = vec![0.0f32; 784];
    huge[400] = 1e30;
    let huge = serde_json::json!({ "input_data": [huge] }).to_string();
    let e = srv.post(&predict, huge.as_bytes()).error(400);
    assert!(e.contains("range") || e.contains("input"), "{e}");
    // This model's input is public: a salt would salt nothing, and is refused.
    let mut salted: Value = serde_json::from_slice(&digit(3)).unwrap();
    salted["input_salt"] = serde_json::json!(format!("0x{}", "0".repeat(63) + "1"));
    let e = srv.post(&predict, salted.to_string().as_bytes()).error(400);
    assert!(e.contains("not salted"), "{e}");
    let unknown = format!("/api/models/{}/predict", "ab".repeat(32));
    assert!(srv
        .post(&unknown, &digit(3))
        .error(404)
        .contains("unknown model"));
    srv.get(&format!("/api/models/{}", "00".repeat(32)))
        .error(404);
    // A body over --max-body is refused with 413 once the limit is reached.
    let mut big = br#"{"input_data": [["#.to_vec();
    big.extend(b"0.0,".repeat(30_000));
    big.extend(b"0.0]]}");
    let status_line = post_reading_early_answer(&srv.base, &predict, &big);
    assert!(status_line.starts_with("HTTP/1.1 413"), "{status_line}");
    srv.get(&format!("/api/proofs/{}", "0".repeat(32)))
        .error(404);
    srv.get("/api/proofs/..%2F..%2Fetc%2Fpasswd").error(404);
    srv.get("/api/nothing-here").error(404);

    // The proof verifies against the served key and shows the predicted output.
    let b3 = srv.wait_proof(&r3);
    check_bundle(&b3, &vk, &p3);
    // Once proven, the server forgets the input: the proof is what it serves from then on.
    let stored: Value = serde_json::from_slice(
        &std::fs::read(data.join("receipts").join(format!("{r3}.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(stored["status"], "done");
    assert_eq!(stored["input"], serde_json::json!([]));
    eprintln!("first proof served at {:.1} s", t0.elapsed().as_secs_f64());

    // A burst against --queue-size 1 --workers 1: some are refused with 429, and every accepted
    // one gets a proof that verifies.
    let burst: Vec<Resp> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..6u8)
            .map(|d| {
                let (srv, predict) = (&srv, &predict);
                s.spawn(move || srv.post(predict, &digit(d)))
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let accepted: Vec<Value> = burst
        .iter()
        .filter(|r| r.status == 200)
        .map(Resp::json)
        .collect();
    let refused = burst.iter().filter(|r| r.status == 429).count();
    for r in burst.iter().filter(|r| r.status == 429) {
        assert!(r.error(429).contains("queue is full"));
    }
    assert_eq!(accepted.len() + refused, burst.len());
    assert!(
        !accepted.is_empty() && refused > 0,
        "{} accepted",
        accepted.len()
    );
    assert!(
        accepted.len() <= 3,
        "{} accepted with one worker and a queue of one",
        accepted.len()
    );
    for p in &accepted {
        let r = p["receipt"].as_str().unwrap();
        check_bundle(&srv.wait_proof(r), &vk, p);
    }
    eprintln!(
        "burst: {} accepted, {refused} refused, all proven by {:.1} s",
        accepted.len(),
        t0.elapsed().as_secs_f64()
    );

    // A crash with a proof pending.
    let pending = srv.post(&predict, &digit(7));
    assert_eq!(pending.status, 200);
    let r7 = pending.json()["receipt"].as_str().unwrap().to_string();
    srv.kill();

    // Restart on the same data directory: finished receipts and proofs are still served, the
    // pending one is reported as interrupted; a too-short --proof-timeout reports failure.
    let srv = Server::start(
        &model,
        &data,
        tmp.path().join("server2.log"),
        &["--proof-timeout", "0.05"],
    );
    let again = srv.get(&format!("/api/proofs/{r3}"));
    assert_eq!(again.body, b3.body);
    check_bundle(&again, &vk, &p3);
    let rec = srv.get(&format!("/api/receipts/{r3}")).json();
    assert_eq!(rec["status"], "done");
    assert_eq!(rec["model_id"], id.as_str());
    assert_eq!(rec["predicted_class"], 3);
    assert!(rec["finished_unix_ms"].as_u64() >= rec["created_unix_ms"].as_u64());
    assert!(srv
        .get(&format!("/api/proofs/{r7}"))
        .error(500)
        .contains("interrupted"));
    assert_eq!(
        srv.get(&format!("/api/receipts/{r7}")).json()["status"],
        "failed"
    );
    let p = srv.post(&predict, &digit(1)).json();
    let r = p["receipt"].as_str().unwrap();
    assert!(srv.wait_proof(r).error(500).contains("timed out"));
    srv.kill();
    eprintln!("done in {:.1} s", t0.elapsed().as_secs_f64());
}

/// A model proven as a chain is served as one model: its card gives the chain id and the
/// number of segments, the verifier-key endpoint serves the chain key, a prediction comes at
/// once and its proof is a chain bundle that verifies against the served key and every pin a
/// consumer holds (chain id, the chain's commitment, the input it sent and its salt). A server
/// that changes the proven output is caught; an attestation, made for one circuit per item, is
/// refused with a reason; and a chain directory whose segment is not the chain key's is
/// refused when the server starts.
#[test]
fn a_model_proven_as_a_chain_is_served_and_its_proofs_verify_against_the_chain_key() {
    use zkinfer_core::pinned::{verify_pinned, Pins, SentInput};
    let tmp = tempfile::tempdir().unwrap();
    let chain = tmp.path().join("chain");
    let segments = common::compile_small_chain(&chain);
    let srv = Server::start(
        &chain,
        &tmp.path().join("data"),
        tmp.path().join("server.log"),
        &["--workers", "1"],
    );
    let cards = srv.get("/api/models").json()["models"].clone();
    let card = cards[0].clone();
    let id = card["id"].as_str().unwrap().to_string();
    assert_eq!(card["segments"], segments, "{card}");
    let commitment = card["model_commitment"].as_str().unwrap().to_string();
    let key = srv.get(&format!("/api/models/{id}/verifier-key")).body;
    assert!(zkinfer_core::chain::is_chain_key(&key));
    assert_eq!(zkinfer_core::verifier_key::model_id(&key), id);
    // The commitment the card publishes is the one `zkinfer commit` computes for the chain.
    let o = common::zkinfer(&["commit", chain.to_str().unwrap(), "--json"]);
    let committed: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(committed["model_commitment"], commitment.as_str());

    let n = card["input"]["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .product::<usize>();
    let input: Vec<f32> = (0..n).map(|i| ((i * 7) % 11) as f32 / 10.0 - 0.4).collect();
    let body = serde_json::json!({ "input_data": [input] }).to_string();
    let answer = srv.post(&format!("/api/models/{id}/predict"), body.as_bytes());
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    let answer = answer.json();
    let salt =
        zkinfer_core::commitment::parse_input_salt(answer["input_salt"].as_str().unwrap()).unwrap();
    let bundle = srv.wait_proof(answer["receipt"].as_str().unwrap());
    assert_eq!(
        bundle.status,
        200,
        "{}",
        String::from_utf8_lossy(&bundle.body)
    );
    assert!(zkinfer_core::chain::is_chain_bundle(&bundle.body));
    let pins = |input: &[f32]| Pins {
        model_id: Some(id.clone()),
        commitment: Some(commitment.clone()),
        input: Some(SentInput::Values(input.to_vec())),
        input_salt: Some(salt),
        ..Pins::default()
    };
    let verdict =
        verify_pinned(&key, &bundle.body, &pins(&input)).expect("the chain proof verifies");
    assert_eq!(verdict.segments as u64, segments);
    assert!(verdict.commitment_checked && verdict.input_checked);
    let said = common::numbers(&answer["output"]);
    assert_eq!(
        verdict.verified.output_values, said,
        "the proof shows what was answered"
    );
    // Against another input, the same proof is invalid.
    let mut other = input.clone();
    other[0] += 0.5;
    assert!(verify_pinned(&key, &bundle.body, &pins(&other)).is_err());
    // Attestations prove one circuit per item: refused for a chain, with the reason.
    let e = srv
        .post(&format!("/api/models/{id}/attestations"), b"{}")
        .error(400);
    assert!(e.contains(&format!("chain of {segments} segments")), "{e}");
    drop(srv);

    // A server that changes the proven output of a chain proof is caught.
    let liar = Server::start(
        &chain,
        &tmp.path().join("data-liar"),
        tmp.path().join("liar.log"),
        &["--workers", "1", "--tamper-for-tests", "output"],
    );
    let lie = liar
        .post(&format!("/api/models/{id}/predict"), body.as_bytes())
        .json();
    let salt =
        zkinfer_core::commitment::parse_input_salt(lie["input_salt"].as_str().unwrap()).unwrap();
    let lied = liar.wait_proof(lie["receipt"].as_str().unwrap());
    assert_eq!(lied.status, 200);
    let pins = Pins {
        input_salt: Some(salt),
        ..pins(&input)
    };
    let e = verify_pinned(&key, &lied.body, &pins)
        .expect_err("a changed output is rejected")
        .to_string();
    // Named by the segment whose proof fails (the last: the output is its), said once.
    assert!(
        e.starts_with(&format!("proof rejected: segment {}: ", segments - 1)),
        "{e}"
    );
    drop(liar);

    // A segment directory that is not the chain key's segment: refused at start-up.
    std::fs::copy(
        chain.join("segment-0/verifier-key"),
        chain.join("segment-1/verifier-key"),
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .args([
            "serve",
            chain.to_str().unwrap(),
            "--addr",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(tmp.path().join("data-bad"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    let printed = common::text(&o);
    assert!(
        printed.contains("not the chain key's segment 1"),
        "{printed}"
    );
}
