//! `zkinfer serve`: an HTTP proving service. Predictions are answered at once from the integer
//! model; their proofs are computed by a bounded background queue and served by receipt id.
//!
//! - `config`: command-line flags
//! - `models`: loaded provers and model cards
//! - `store`: receipts and proof bundles on disk
//! - `queue`: the bounded proving queue and its workers
//! - `engine`: the job engine over PostgreSQL (`--database`), `worker` its proving workers
//! - `jobs`: receipts, jobs and proofs in files and the queue, or in the engine's database
//! - `routes`: the HTTP API
//! - `tamper`: `--tamper-for-tests`, a deliberately lying server for client tests
//! - `attest`: accuracy attestations proven on request

mod attest;
pub(crate) mod config;
pub(crate) mod engine;
mod jobs;
mod models;
mod queue;
mod routes;
pub(crate) mod store;
mod tamper;
mod worker;

pub use config::{EngineArgs, ServeArgs};

use anyhow::{Context, Result};
use axum::http::{HeaderName, HeaderValue};
use std::io::Write;
use std::sync::Arc;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

pub fn run(args: ServeArgs) -> Result<()> {
    init_logging();

    anyhow::ensure!(
        args.proof_deadline >= args.proof_timeout,
        "--proof-deadline {} s is shorter than --proof-timeout {} s: receipts would promise proofs \
         sooner than a proof may take",
        args.proof_deadline,
        args.proof_timeout
    );
    anyhow::ensure!(
        !args.tamper_dodge || args.tamper_for_tests == Some(tamper::TamperMode::SwapModel),
        "--tamper-dodge goes with --tamper-for-tests swap-model"
    );
    anyhow::ensure!(
        args.workers > 0 || args.database.is_some(),
        "--workers 0 goes with --database: without it, nothing would prove"
    );
    anyhow::ensure!(
        args.tamper_for_tests.is_none() || args.database.is_none(),
        "--tamper-for-tests runs with the embedded queue only, not with --database"
    );
    let srs = args.srs.source();
    let registry = load_models(
        &args.dirs,
        &srs,
        args.workers as usize,
        memory_budget(args.memory_budget)?,
    )?;
    let max_body = args.max_body.unwrap_or_else(|| {
        default_max_body(
            registry
                .models
                .iter()
                .map(|m| m.input_len())
                .max()
                .unwrap_or(0),
        )
    });
    let stand_in = args
        .tamper_stand_in
        .as_ref()
        .map(|dir| models::Model::load(dir, &srs))
        .transpose()?;
    let tamper = args
        .tamper_for_tests
        .map(|mode| {
            tamper::Tamper::new(
                mode,
                args.tamper_rate,
                args.tamper_dodge,
                &registry,
                stand_in,
            )
        })
        .transpose()?;
    if let Some(t) = &tamper {
        t.announce();
    }

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("zkinfer-http")
        .build()
        .context("starting the async runtime")?;
    let jobs = match &args.database {
        Some(url) => {
            let db = Arc::new(rt.block_on(engine::Database::open(url, args.queue_size as usize))?);
            let (queued, proving) = rt.block_on(db.load_counts())?;
            tracing::info!(database = %engine::redact(url), queued, proving, "job engine's database opened");
            jobs::Jobs::Database(db)
        }
        None => {
            let (store, recovery) = store::Store::open(&args.data_dir)?;
            tracing::info!(
                data_dir = %args.data_dir.display(),
                done = recovery.done,
                failed = recovery.failed,
                interrupted = recovery.interrupted,
                unreadable = recovery.unreadable,
                "receipt store opened"
            );
            let store = Arc::new(store);
            let queue = queue::Queue::start(
                store.clone(),
                args.queue_size as usize,
                args.workers as usize,
                args.proof_timeout(),
            )
            .context("starting proving workers")?;
            jobs::Jobs::Local { store, queue }
        }
    };
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("creating {}", args.data_dir.display()))?;
    let key_path = args.signing_key_path();
    let provider = zkinfer_core::protocols::receipt::ProviderKey::load_or_create(&key_path)
        .with_context(|| format!("provider signing key {}", key_path.display()))?;
    tracing::info!(key = %provider.public_hex(), file = %key_path.display(), "receipts are signed with this ed25519 key");
    if let (jobs::Jobs::Database(db), true) = (&jobs, args.workers > 0) {
        let (db, registry) = (db.clone(), registry.clone());
        let opts = worker::WorkerOptions {
            concurrency: args.workers as usize,
            heartbeat: args.engine.heartbeat(),
            name: worker::process_name(),
        };
        rt.spawn(async move {
            if let Err(e) = worker::run(db, &registry, opts).await {
                tracing::error!("the proving workers stopped: {e:#}");
            }
        });
    }

    let state = Arc::new(routes::AppState {
        registry,
        jobs,
        max_body,
        tamper,
        provider,
        prove_on_request: args.prove == config::ProveWhen::OnRequest,
        proof_deadline_ms: (args.proof_deadline * 1000.0) as u64,
        on_request: tokio::sync::Mutex::new(()),
        attestations: attest::Attestations::open(&args.data_dir)?,
    });
    let served = state.clone();
    let mut app = routes::api(state);
    // CORS on the API only: a page of another origin (a consumer's own copy of the verifying
    // page) may read answers, key and proofs; the preflight of a JSON POST is answered here.
    let cors = tower_http::cors::CorsLayer::new()
        .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
        .allow_headers([axum::http::header::CONTENT_TYPE])
        .expose_headers([HeaderName::from_static("x-zkinfer-proof-signature")]);
    app = match args.allow_origin.clone() {
        config::AllowOrigin::Any => app.layer(cors.allow_origin(tower_http::cors::Any)),
        // A list, not `exact`: another origin then gets no Access-Control-Allow-Origin at all.
        config::AllowOrigin::One(origin) => {
            app.layer(cors.allow_origin(tower_http::cors::AllowOrigin::list([origin])))
        }
        config::AllowOrigin::None => app,
    };
    app = match args.web_dir() {
        Some(dir) => {
            anyhow::ensure!(dir.is_dir(), "--web {} is not a directory", dir.display());
            tracing::info!(dir = %dir.display(), "serving static files at /");
            app.fallback_service(ServeDir::new(dir))
        }
        None => app.fallback(routes::not_found),
    };
    let app = app
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("cross-origin-embedder-policy"),
            HeaderValue::from_static("require-corp"),
        ));

    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("binding {}", args.addr))?;
        let addr = listener.local_addr()?;
        println!("zkinfer serve: listening on http://{addr}");
        std::io::stdout().flush()?;
        tracing::info!(%addr, workers = args.workers, queue_size = args.queue_size, max_body, "listening");
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown())
            .await
            .context("serving")
    })?;
    let (waiting, proving) = match &served.jobs {
        jobs::Jobs::Local { queue, .. } => queue.load(),
        // The database keeps them: workers go on, and a restarted server finds them.
        jobs::Jobs::Database(_) => (0, 0),
    };
    if waiting + proving > 0 {
        tracing::warn!(
            waiting,
            proving,
            "stopping with unfinished proofs; they are reported as interrupted on the next start"
        );
    }
    Ok(())
}

/// Loads every compiled model directory, in order; with `concurrent` proofs at a time in this
/// process, the keys hold their extended-domain cosets within `memory_budget`
/// ([`models::hold_cosets`]).
pub(crate) fn load_models(
    dirs: &[std::path::PathBuf],
    srs: &zkinfer_core::srs::SrsSource,
    concurrent: usize,
    memory_budget: u64,
) -> Result<models::Registry> {
    let mut loaded = vec![];
    for dir in dirs {
        let t = std::time::Instant::now();
        let m = models::Model::load(dir, srs)?;
        tracing::info!(
            model = %m.id,
            name = %m.compiled().graph.name,
            segments = m.segments(),
            dir = %dir.display(),
            seconds = t.elapsed().as_secs_f64(),
            "model loaded"
        );
        loaded.push(m);
    }
    let held = models::hold_cosets(&mut loaded, concurrent, memory_budget);
    tracing::info!(
        gib = held as f64 / (1u64 << 30) as f64,
        "proving keys' extended-domain cosets held"
    );
    models::Registry::new(loaded)
}

/// `zkinfer worker`: proves the job engine's proof jobs of the given models until stopped.
pub fn run_worker(args: WorkerArgs) -> Result<()> {
    init_logging();
    let srs = args.srs.source();
    let registry = load_models(
        &args.dirs,
        &srs,
        args.concurrency as usize,
        memory_budget(args.memory_budget)?,
    )?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("zkinfer-worker")
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async move {
        // The queue size only bounds what a server accepts; a worker queues nothing.
        let db = Arc::new(engine::Database::open(&args.database, usize::MAX).await?);
        let opts = worker::WorkerOptions {
            concurrency: args.concurrency as usize,
            heartbeat: args.engine.heartbeat(),
            name: worker::process_name(),
        };
        println!(
            "zkinfer worker: {} taking proof jobs from {}",
            opts.name,
            engine::redact(&args.database)
        );
        std::io::stdout().flush()?;
        tokio::select! {
            r = worker::run(db, &registry, opts) => r,
            _ = shutdown() => Ok(()),
        }
    })
}

/// `zkinfer worker`'s arguments.
#[derive(clap::Args, Clone)]
pub struct WorkerArgs {
    /// Compiled model directories whose proof jobs this worker takes (the same directories the
    /// server was given, or copies of them).
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<std::path::PathBuf>,
    /// The job engine's PostgreSQL database, as given to `zkinfer serve --database`.
    #[arg(long, value_name = "URL")]
    pub database: String,
    /// Proofs made at the same time by this process (each also uses every core).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: u16,
    /// Memory this process may use, in GiB: the proving keys hold their extended-domain cosets
    /// (faster proofs) only while they fit beside --concurrency proofs at once.
    #[arg(long, value_name = "GIB", default_value_t = 20.0)]
    pub memory_budget: f64,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub srs: crate::SrsArgs,
}

fn memory_budget(gib: f64) -> Result<u64> {
    zkinfer_core::prove::memory_budget_from_gib(gib)
        .with_context(|| format!("--memory-budget {gib}: a positive number of GiB"))
}

fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .try_init();
}

/// Room for one input of every served model as a client writes it: `{"input_data": [[...]]}`
/// with up to 26 bytes per value (the longest shortest-form JSON number of an f32, a sign and a
/// comma), a salt and white space; at least 1 MiB.
fn default_max_body(largest_input: usize) -> usize {
    (largest_input * 26 + 4096).max(1 << 20)
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use super::default_max_body;

    /// The default body limit takes an ImageNet image's input however its floats are written
    /// (the longest shortest-form f32s, negative, with a salt), and is never under 1 MiB.
    #[test]
    fn the_default_body_limit_takes_the_largest_input_as_json() {
        assert_eq!(default_max_body(784), 1 << 20);
        let n = 3 * 224 * 224;
        let body = serde_json::json!({
            "input_data": [vec![-1.175_494_2e-38_f32; n]],
            "input_salt": format!("0x{}", "f".repeat(64)),
        })
        .to_string();
        assert!(body.len() > 1 << 20, "the old 1 MiB default refused it");
        assert!(body.len() <= default_max_body(n), "{} bytes", body.len());
        let pretty = serde_json::to_string_pretty(&serde_json::json!({
            "input_data": [vec![-0.992_187_5_f32; n]],
        }))
        .unwrap();
        assert!(
            pretty.len() <= default_max_body(n),
            "{} bytes",
            pretty.len()
        );
    }
}
