//! Load test of `zkinfer serve` over loopback, bounded in count and time: 200 predictions from
//! 20 concurrent clients against one proving worker and a queue of 4. The server must stay up,
//! answer every request with either a prediction (200) or "queue full" (429) — nothing else —
//! and every accepted receipt must eventually get a proof that verifies against the served key
//! and proves the prediction the client was given. The server's peak RSS and the predict latency
//! are printed (recorded in BENCHMARKS.md; memory and speed targets are not asserted here).

mod common;

use common::{compile_mnist, digit, Resp, Server};
use serde_json::Value;
use std::time::{Duration, Instant};

const CLIENTS: usize = 20;
const REQUESTS_PER_CLIENT: usize = 10;
const QUEUE_SIZE: usize = 4;

/// Peak resident set size of a process, from /proc (Linux).
fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[test]
fn load_200_predictions_from_20_clients() {
    let t0 = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("mnist");
    compile_mnist(&model, None);
    let srv = Server::start(
        &model,
        &tmp.path().join("data"),
        tmp.path().join("server.log"),
        &["--workers", "1", "--queue-size", &QUEUE_SIZE.to_string()],
    );
    let id = srv.get("/api/models").json()["models"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let vk_bytes = srv.get(&format!("/api/models/{id}/verifier-key")).body;
    let vk = zkinfer_core::VerifierKey::from_bytes(&vk_bytes).unwrap();
    let predict = format!("/api/models/{id}/predict");
    let inputs: Vec<Vec<u8>> = (0..10u8).map(digit).collect();

    // Each client sends its requests back to back, timing each one.
    let started = Instant::now();
    let results: Vec<(Resp, Duration)> = std::thread::scope(|s| {
        let clients: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let (srv, predict, inputs) = (&srv, &predict, &inputs);
                s.spawn(move || {
                    (0..REQUESTS_PER_CLIENT)
                        .map(|i| {
                            let t = Instant::now();
                            let r = srv.post(predict, &inputs[(c + i) % inputs.len()]);
                            (r, t.elapsed())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        clients
            .into_iter()
            .flat_map(|h| h.join().expect("client thread"))
            .collect()
    });
    let burst_time = started.elapsed();
    assert_eq!(results.len(), CLIENTS * REQUESTS_PER_CLIENT);

    let mut accepted: Vec<Value> = Vec::new();
    let mut refused = 0;
    for (r, _) in &results {
        match r.status {
            200 => accepted.push(r.json()),
            429 => {
                assert!(r.error(429).contains("queue is full"));
                refused += 1;
            }
            other => panic!(
                "unexpected status {other}: {}",
                String::from_utf8_lossy(&r.body)
            ),
        }
    }
    assert!(refused > 0, "a queue of {QUEUE_SIZE} never filled up");
    assert!(!accepted.is_empty(), "nothing was accepted");
    let mut latencies: Vec<Duration> = results.iter().map(|(_, t)| *t).collect();
    latencies.sort();

    // The server is still up and answering.
    assert_eq!(srv.get("/api/health").status, 200);

    // Every accepted receipt gets a proof that verifies and proves what the client was told.
    for p in &accepted {
        let receipt = p["receipt"].as_str().unwrap();
        let bundle = srv.wait_proof(receipt);
        assert_eq!(bundle.status, 200, "receipt {receipt}");
        let v = zkinfer_core::verify(&vk, &bundle.body).expect("served proof verifies");
        assert_eq!(v.model_id, id);
        assert_eq!(
            v.predicted_class.unwrap() as u64,
            p["predicted_class"].as_u64().unwrap(),
            "receipt {receipt}"
        );
    }
    let rss = peak_rss_mib(srv.child.id());
    assert_eq!(srv.get("/api/health").status, 200);
    eprintln!(
        "load: {} requests from {CLIENTS} clients in {:.2} s: {} accepted, {refused} refused (429); \
         predict latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; all {} proofs verified by {:.1} s; \
         server peak RSS {} MiB",
        results.len(),
        burst_time.as_secs_f64(),
        accepted.len(),
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3,
        accepted.len(),
        t0.elapsed().as_secs_f64(),
        rss.map_or("unknown".to_string(), |m| format!("{m:.0}")),
    );
}
