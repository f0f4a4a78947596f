//! Command-line configuration of `zkinfer serve`.

use super::tamper::TamperMode;
use crate::SrsArgs;
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// `--allow-origin`: the origins whose pages may read API responses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AllowOrigin {
    Any,
    One(axum::http::HeaderValue),
    None,
}

fn parse_origin(s: &str) -> Result<AllowOrigin, String> {
    match s {
        "*" => Ok(AllowOrigin::Any),
        "none" => Ok(AllowOrigin::None),
        _ => {
            let url = s.trim_end_matches('/');
            let scheme_ok = url.starts_with("http://") || url.starts_with("https://");
            let host = url.split_once("://").map(|(_, h)| h).unwrap_or_default();
            if !scheme_ok || host.is_empty() || host.contains(['/', '?', '#', ' ']) {
                return Err(format!(
                    "{s:?} is not an origin: `*`, `none`, or scheme://host[:port] such as https://verify.example"
                ));
            }
            axum::http::HeaderValue::from_str(url)
                .map(AllowOrigin::One)
                .map_err(|e| format!("{s:?}: {e}"))
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ProveWhen {
    Eager,
    OnRequest,
}

#[derive(Args, Clone)]
pub struct ServeArgs {
    /// Compiled model directories (written by `zkinfer compile`); each is served under its model
    /// id, the SHA-256 of its verifier key.
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Address to listen on (port 0 picks a free port; the bound address is printed on stdout).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Number of proofs computed at the same time (each proof also uses every core through rayon).
    /// With --database, 0 leaves every proof to `zkinfer worker` processes.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(0..))]
    pub workers: u16,
    /// Memory this process may use, in GiB: the proving keys hold their extended-domain cosets
    /// (faster proofs) only while they fit beside --workers proofs at once.
    #[arg(long, value_name = "GIB", default_value_t = 20.0)]
    pub memory_budget: f64,
    /// Keep receipts, proof jobs and proofs in this PostgreSQL database
    /// (`postgres://USER[:PASSWORD]@HOST[:PORT]/DB`) instead of --data-dir's files, so that
    /// `zkinfer worker` processes on any machine sharing it (and the compiled model
    /// directories) take the proof jobs; a chain's segments are separate jobs. Tables are
    /// created when missing.
    #[arg(long, value_name = "URL")]
    pub database: Option<String>,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Most predictions waiting for a proving worker; further requests get 429 Too Many Requests.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..))]
    pub queue_size: u32,
    /// Largest accepted request body in bytes; larger requests get 413 Payload Too Large.
    /// Default: 1 MiB, or room for the largest served model's input written as JSON if that is
    /// more (an ImageNet image's 150,528 values, about 3.9 MB).
    #[arg(long, value_name = "BYTES")]
    pub max_body: Option<usize>,
    /// Seconds a proof may take before its receipt is reported as failed (the worker then waits
    /// for the abandoned proof to stop before taking the next job, so CPU use stays bounded).
    #[arg(long, default_value_t = 600.0, value_name = "SECS", value_parser = parse_secs)]
    pub proof_timeout: f64,
    /// Seconds after a prediction by which its proof is promised, in the signed receipt: from
    /// then on, a request for the proof must get it, or the receipt is evidence against this
    /// server (`zkinfer audit`). At least --proof-timeout; allow for a full queue.
    #[arg(long, default_value_t = 3600.0, value_name = "SECS", value_parser = parse_secs)]
    pub proof_deadline: f64,
    /// When proofs are made: `eager` (every prediction is queued for proving at once) or
    /// `on-request` (a prediction is only proven when its proof is first requested, as in a
    /// sampled audit; the signed receipt commits the provider either way).
    #[arg(long, value_enum, default_value_t = ProveWhen::Eager)]
    pub prove: ProveWhen,
    /// Where receipts and proof bundles are stored; they survive restarts.
    #[arg(long, default_value = "zkinfer-data", value_name = "DIR")]
    pub data_dir: PathBuf,
    /// Static files served at / (for example a browser verifier) [default: ./web if it exists]
    #[arg(long, value_name = "DIR")]
    pub web: Option<PathBuf>,
    /// Which web pages may call the API from a browser (CORS): `*` (any: a consumer can host
    /// its own copy of the verifying page, `?api=` this server), one origin such as
    /// `https://verify.example`, or `none` (only pages this server serves). No credentials are
    /// ever allowed, so no browser sends cookies along.
    #[arg(long, default_value = "*", value_name = "*|ORIGIN|none", value_parser = parse_origin)]
    pub allow_origin: AllowOrigin,
    #[command(flatten)]
    pub srs: SrsArgs,
    /// DANGEROUS, FOR TESTS ONLY: serve false predictions or proofs, to check that clients catch
    /// them (logged loudly at startup). The other-model modes need every served model to have a
    /// partner with the same input and output shape.
    #[arg(long, value_enum, value_name = "MODE")]
    pub tamper_for_tests: Option<TamperMode>,
    /// With --tamper-for-tests swap-model: the compiled model that secretly answers instead (not
    /// served under its own name).
    #[arg(long, value_name = "DIR")]
    pub tamper_stand_in: Option<PathBuf>,
    /// With --tamper-for-tests swap-model: the fraction of requests swapped.
    #[arg(long, default_value_t = 0.1, value_name = "FRACTION", value_parser = parse_fraction)]
    pub tamper_rate: f64,
    /// TESTS ONLY, with swap-model: drop the connection when asked for a swapped receipt's
    /// proof, as a provider that cannot produce it would, hoping to pass for a network fault.
    #[arg(long)]
    pub tamper_dodge: bool,
    /// The provider's ed25519 signing key for receipts (64 hex digits; created if missing)
    /// [default: DATA_DIR/provider.key]
    #[arg(long, value_name = "FILE")]
    pub signing_key: Option<PathBuf>,
}

/// How workers of the job engine take jobs (`zkinfer serve --database`, `zkinfer worker`).
#[derive(Args, Clone)]
pub struct EngineArgs {
    /// Seconds between a proving worker's heartbeats; a worker silent for three of them is
    /// taken for dead (killed, or cut off) and its jobs are given to the others.
    #[arg(long, default_value_t = 10.0, value_name = "SECS", value_parser = parse_secs)]
    pub heartbeat: f64,
}

impl EngineArgs {
    pub fn heartbeat(&self) -> Duration {
        Duration::from_secs_f64(self.heartbeat)
    }
}

fn parse_fraction(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|e| format!("{e}"))?;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err("must be a fraction in [0, 1]".into())
    }
}

pub(crate) fn parse_secs(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|e| format!("{e}"))?;
    if v.is_finite() && v > 0.0 && v < 1e9 {
        Ok(v)
    } else {
        Err("must be a positive number of seconds".into())
    }
}

impl ServeArgs {
    pub fn proof_timeout(&self) -> Duration {
        Duration::from_secs_f64(self.proof_timeout)
    }

    pub fn signing_key_path(&self) -> PathBuf {
        self.signing_key
            .clone()
            .unwrap_or_else(|| self.data_dir.join("provider.key"))
    }

    /// The static directory: `--web`, else `./web` when present.
    pub fn web_dir(&self) -> Option<PathBuf> {
        match &self.web {
            Some(d) => Some(d.clone()),
            None => Some(PathBuf::from("web")).filter(|d| d.is_dir()),
        }
    }
}
