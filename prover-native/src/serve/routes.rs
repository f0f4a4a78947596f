//! HTTP routes of the proving service. Every error is JSON `{"error": "..."}`.

use super::jobs::Jobs;
use super::models::{Model, Registry};
use super::queue::{Job, Pending};
use super::store::{new_id, now_ms, valid_id, Receipt, Status};
use super::tamper::Tamper;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;
use zkinfer_core::circuit::TensorVisibility;
use zkinfer_core::halo2curves::bn256::Fr;
use zkinfer_core::prove::Witness;

pub struct AppState {
    pub registry: Registry,
    /// Receipts, proof jobs and proofs: files and a queue here, or the job engine's database.
    pub jobs: Jobs,
    pub max_body: usize,
    /// Only with --tamper-for-tests.
    pub tamper: Option<Tamper>,
    /// Signs receipts.
    pub provider: zkinfer_core::protocols::receipt::ProviderKey,
    /// `--prove on-request`: predictions wait, unproven, until their proof is asked for.
    pub prove_on_request: bool,
    /// How long after a prediction its receipt promises the proof (`--proof-deadline`).
    pub proof_deadline_ms: u64,
    /// Accuracy attestations (one at a time).
    pub attestations: Arc<super::attest::Attestations>,
    /// Serializes the unproven -> queued step, so two requests for one proof queue it once and
    /// neither overwrites a finished receipt.
    pub on_request: tokio::sync::Mutex<()>,
}

type AppRef = State<Arc<AppState>>;

/// An error response: status and message, sent as `{"error": message}`.
pub struct ApiError(pub StatusCode, pub String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

fn err(status: StatusCode, msg: impl Into<String>) -> ApiError {
    ApiError(status, msg.into())
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    tracing::error!("internal error: {e}");
    err(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("internal error: {e}"),
    )
}

type ApiResult<T> = Result<T, ApiError>;

/// The API routes (under /api); unknown /api paths get a JSON 404.
pub fn api(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/api/health", get(health))
        .route("/api/provider", get(provider))
        .route("/api/models", get(list_models))
        .route("/api/models/{id}", get(get_model))
        .route("/api/models/{id}/verifier-key", get(verifier_key))
        .route("/api/models/{id}/predict", post(predict))
        .route("/api/proofs/{receipt}", get(proof))
        .route("/api/models/{id}/attestations", post(start_attestation))
        .route("/api/attestations/{job}", get(attestation))
        .route("/api/receipts/{receipt}", get(receipt))
        .route("/api", get(not_found))
        .route("/api/{*rest}", get(not_found).post(not_found))
        .with_state(state)
}

pub async fn not_found() -> ApiError {
    err(StatusCode::NOT_FOUND, "no such endpoint")
}

async fn health(State(app): AppRef) -> ApiResult<Json<Value>> {
    let (waiting, proving) = app.jobs.load_counts().await.map_err(internal)?;
    Ok(Json(
        json!({ "ok": true, "queued": waiting, "proving": proving }),
    ))
}

async fn provider(State(app): AppRef) -> Json<Value> {
    Json(json!({ "provider_key": app.provider.public_hex() }))
}

async fn list_models(State(app): AppRef) -> Json<Value> {
    let cards: Vec<Value> = app
        .registry
        .models
        .iter()
        .map(|m| match &app.tamper {
            Some(t) => t.card(&m.card),
            None => m.card.clone(),
        })
        .collect();
    Json(json!({ "models": cards }))
}

fn model(app: &AppState, id: &str) -> ApiResult<Arc<super::models::Model>> {
    app.registry
        .get(id)
        .cloned()
        .ok_or_else(|| err(StatusCode::NOT_FOUND, format!("unknown model '{id}'")))
}

async fn get_model(State(app): AppRef, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let m = model(&app, &id)?;
    Ok(Json(match &app.tamper {
        Some(t) => t.card(&m.card),
        None => m.card.clone(),
    }))
}

fn octets(bytes: Vec<u8>, filename: &str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
                    .unwrap_or(HeaderValue::from_static("attachment")),
            ),
        ],
        Bytes::from(bytes),
    )
        .into_response()
}

async fn verifier_key(State(app): AppRef, Path(id): Path<String>) -> ApiResult<Response> {
    let mut m = model(&app, &id)?;
    if let Some(t) = &app.tamper {
        m = t.key_for(&m);
    }
    Ok(octets(m.verifier_key_bytes().to_vec(), "verifier-key"))
}

fn queue_full() -> ApiError {
    err(
        StatusCode::TOO_MANY_REQUESTS,
        "the proving queue is full; retry later",
    )
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> ApiResult<T> {
    tokio::task::spawn_blocking(f).await.map_err(internal)
}

/// The request body, at most `--max-body` bytes (413 otherwise).
async fn read_body(app: &AppState, body: Body) -> ApiResult<Bytes> {
    axum::body::to_bytes(body, app.max_body).await.map_err(|e| {
        err(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "request body over {} bytes (--max-body) or unreadable: {e}",
                app.max_body
            ),
        )
    })
}

async fn predict(
    State(app): AppRef,
    Path(id): Path<String>,
    body: Body,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let m = model(&app, &id)?;
    let bytes = read_body(&app, body).await?;
    // Refuse before any work when there is no room anyway.
    if !app.prove_on_request && app.jobs.is_full().await.map_err(internal)? {
        return Err(queue_full());
    }
    // The model that computes and proves the answer: the requested one, unless a test asked
    // this server to lie.
    let prover_model = match &app.tamper {
        Some(t) => t.prover_for(&m),
        None => m.clone(),
    };
    let m2 = prover_model.clone();
    let (x, q_in, values, given_salt) = blocking(move || -> ApiResult<_> {
        let bad = |e: String| err(StatusCode::BAD_REQUEST, e);
        let text =
            std::str::from_utf8(&bytes).map_err(|_| bad("the body is not UTF-8 JSON".into()))?;
        let (x, salt) = zkinfer_core::input::parse_single_with_salt(text, m2.input_len())
            .map_err(|e| bad(e.to_string()))?;
        let (q_in, values) = m2.compiled().witness(&x).map_err(|e| bad(e.to_string()))?;
        Ok((x, q_in, values, salt))
    })
    .await??;
    let input_salt = receipt_salt(m.compiled().visibility().input, given_salt)?;
    let graph = &prover_model.compiled().graph;
    let honest = &values[graph.output];
    let (claimed, edit) = match &app.tamper {
        Some(t) => t.edit(&m, honest),
        None => (honest.clone(), None),
    };
    let output = graph.dequantize_output(&claimed);
    let class = zkinfer_core::tensor::argmax(&output);
    let label = m
        .compiled()
        .labels
        .as_ref()
        .and_then(|l| l.get(class).cloned());
    let id = new_id();
    let issued = now_ms();
    // What the proof will carry for a salted input; salted for a hidden one too, so that no
    // one holding the receipt can test a guessed input against it.
    let input_hash =
        zkinfer_core::commitment::salted_tensor_hash(&q_in, graph.act_bits, input_salt)
            .map_err(|e| err(StatusCode::BAD_REQUEST, e.to_string()))?;
    let signed = app
        .provider
        .sign(zkinfer_core::protocols::receipt::Receipt {
            receipt_id: id.clone(),
            model_id: m.id.clone(),
            // What the provider publishes for the requested model, whatever model actually ran.
            model_commitment: m.commitment.map(|c| zkinfer_core::poseidon::to_hex(&c)),
            input_hash: zkinfer_core::poseidon::to_hex(&input_hash),
            output: claimed.clone(),
            output_frac_bits: m.compiled().graph.output_tensor().frac_bits,
            issued_unix_ms: issued,
            proof_deadline_unix_ms: Some(issued + app.proof_deadline_ms),
        });
    let rec = Receipt {
        id,
        model_id: m.id.clone(),
        input: x,
        input_salt: input_salt.map(|s| zkinfer_core::poseidon::to_hex(&s)),
        output: output.clone(),
        predicted_class: class,
        predicted_label: label.clone(),
        status: if app.prove_on_request {
            Status::Unproven
        } else {
            Status::Queued
        },
        error: None,
        created_unix_ms: issued,
        finished_unix_ms: None,
        // A stand-in can share the model id (hidden weights, same architecture): compare models.
        answered_by: (!Arc::ptr_eq(&prover_model, &m)).then(|| prover_model.id.clone()),
        signed: Some(signed.clone()),
    };
    let rid = rec.id.clone();
    // The receipt is on disk before it is queued, so a crash never loses an accepted request.
    app.jobs.save(&rec).await.map_err(internal)?;
    // With --prove on-request nothing is queued until the proof is asked for.
    let position = if app.prove_on_request {
        None
    } else {
        let witness = proof_witness(&prover_model, q_in, values, input_salt);
        let job = Job {
            receipt: rec,
            model: prover_model.clone(),
            witness,
            edit,
        };
        match app.jobs.push(job).await.map_err(internal)? {
            Some(p) => Some(p),
            None => {
                app.jobs.remove(&rid).await.map_err(internal)?;
                return Err(queue_full());
            }
        }
    };
    tracing::info!(receipt = %rid, model = %m.id, class, ?position, "prediction accepted");
    let mut answer = json!({
        "receipt": rid,
        "model_id": m.id,
        "output": output,
        "predicted_class": class,
        "predicted_label": label,
        "status": if position.is_some() { "queued" } else { "unproven" },
        "proof_url": format!("/api/proofs/{rid}"),
        "signed_receipt": signed,
    });
    if let Some(p) = position {
        answer["position"] = json!(p);
    }
    if let Some(salt) = input_salt {
        // Only the consumer learns it: keep it to check the proof against the input.
        answer["input_salt"] = json!(zkinfer_core::poseidon::to_hex(&salt));
    }
    Ok((StatusCode::OK, Json(answer)))
}

/// The salt a receipt's input hash is made with: the consumer's, or a fresh one, for a salted
/// input (the proof's hash) or a hidden one (no proof hash, but the receipt's must not be
/// testable either); none for a public input or an unsalted hash, where a salt given is
/// refused rather than silently ignored.
fn receipt_salt(vis: TensorVisibility, given: Option<Fr>) -> ApiResult<Option<Fr>> {
    use zkinfer_core::halo2curves::ff::Field;
    match vis {
        TensorVisibility::Salted | TensorVisibility::Hidden if given == Some(Fr::ZERO) => Err(err(
            StatusCode::BAD_REQUEST,
            "an input_salt of zero hides nothing: send a random one (or none, and keep the one \
             the answer returns)",
        )),
        TensorVisibility::Salted | TensorVisibility::Hidden => Ok(Some(
            given.unwrap_or_else(zkinfer_core::commitment::random_input_salt),
        )),
        TensorVisibility::Public
        | TensorVisibility::Packed
        | TensorVisibility::Hashed
        | TensorVisibility::Linked => match given {
            Some(_) => Err(err(
                StatusCode::BAD_REQUEST,
                format!(
                    "this model's input is {}, not salted: send no input_salt",
                    vis.name()
                ),
            )),
            None => Ok(None),
        },
    }
}

/// A receipt's proof witness: the circuit absorbs the salt only for a salted input.
fn proof_witness(
    model: &Model,
    input: Vec<i64>,
    values: Vec<Vec<i64>>,
    salt: Option<Fr>,
) -> Witness {
    let salted = model.compiled().visibility().input == TensorVisibility::Salted;
    Witness {
        input,
        values,
        input_salt: salt.filter(|_| salted),
    }
}

/// `?sample_seed=S&tolerance=T&confidence=C` of an attestation request.
#[derive(serde::Deserialize)]
struct AttestParams {
    sample_seed: Option<String>,
    tolerance: Option<f64>,
    confidence: Option<f64>,
}

async fn start_attestation(
    State(app): AppRef,
    Path(id): Path<String>,
    axum::extract::Query(params): axum::extract::Query<AttestParams>,
    body: Body,
) -> ApiResult<(StatusCode, Json<Value>)> {
    use super::attest::Refused;
    use zkinfer_core::protocols::accuracy::Coverage;
    let m = model(&app, &id)?;
    let bytes = read_body(&app, body).await?;
    let coverage = match params.sample_seed {
        Some(seed) => Coverage::Sampled {
            seed,
            tolerance: params.tolerance.unwrap_or(0.05),
            confidence: params.confidence.unwrap_or(0.95),
        },
        None => Coverage::All,
    };
    let attestations = app.attestations.clone();
    let started = blocking(move || attestations.start(m, &bytes, coverage)).await?;
    match started {
        Ok((job, sha, items)) => {
            tracing::info!(attestation = %job, model = %id, items, "attestation started");
            Ok((
                StatusCode::ACCEPTED,
                Json(json!({
                    "attestation": job,
                    "dataset_sha256": sha,
                    "items": items,
                    "url": format!("/api/attestations/{job}"),
                })),
            ))
        }
        Err(Refused::Busy) => Err(err(
            StatusCode::TOO_MANY_REQUESTS,
            "an attestation is already being proven; retry later",
        )),
        Err(Refused::BadRequest(e)) => Err(err(StatusCode::BAD_REQUEST, e)),
    }
}

async fn attestation(State(app): AppRef, Path(job): Path<String>) -> ApiResult<Response> {
    use super::attest::JobState;
    let unknown = || {
        err(
            StatusCode::NOT_FOUND,
            format!("unknown attestation '{job}'"),
        )
    };
    if !valid_id(&job) {
        return Err(unknown());
    }
    let (attestations, j) = (app.attestations.clone(), job.clone());
    match blocking(move || attestations.get(&j)).await? {
        None => Err(unknown()),
        Some(Ok(bytes)) => Ok((
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            Bytes::from(bytes),
        )
            .into_response()),
        Some(Err(JobState::Proving { done, total })) => Ok((
            StatusCode::ACCEPTED,
            Json(json!({ "status": "proving", "done": done, "total": total })),
        )
            .into_response()),
        Some(Err(JobState::Failed(e))) => Err(err(StatusCode::INTERNAL_SERVER_ERROR, e)),
    }
}

fn pending_json(p: Pending) -> Value {
    match p {
        Pending::Queued { position } => json!({ "status": "queued", "position": position }),
        Pending::Proving => json!({ "status": "proving" }),
    }
}

async fn load(app: &AppState, id: &str) -> ApiResult<Receipt> {
    app.jobs
        .load(id)
        .await
        .map_err(internal)?
        .ok_or_else(|| err(StatusCode::NOT_FOUND, format!("unknown receipt '{id}'")))
}

async fn proof(State(app): AppRef, Path(id): Path<String>) -> ApiResult<Response> {
    if !valid_id(&id) {
        return Err(err(
            StatusCode::NOT_FOUND,
            format!("unknown receipt '{id}'"),
        ));
    }
    if let Some(p) = app.jobs.status(&id).await.map_err(internal)? {
        return Ok((StatusCode::ACCEPTED, Json(pending_json(p))).into_response());
    }
    let _guard = if app.prove_on_request {
        Some(app.on_request.lock().await)
    } else {
        None
    };
    if let Some(p) = app.jobs.status(&id).await.map_err(internal)? {
        return Ok((StatusCode::ACCEPTED, Json(pending_json(p))).into_response());
    }
    let rec = load(&app, &id).await?;
    if app.tamper.as_ref().is_some_and(|t| t.dodge) && rec.answered_by.is_some() {
        // A 200 whose body fails: the connection is cut mid-answer, as by a network fault.
        let cut = futures_util::stream::once(async {
            Err::<axum::body::Bytes, _>(std::io::Error::other("connection dropped"))
        });
        return Ok((StatusCode::OK, axum::body::Body::from_stream(cut)).into_response());
    }
    match rec.status {
        Status::Unproven => {
            // Proof on request: recompute the answer with the model that gave it, and queue it.
            let requested = model(&app, &rec.model_id)?;
            let answered = match (&rec.answered_by, &app.tamper) {
                (Some(_), Some(t)) => t.stand_in_for(&requested),
                (Some(other), None) => {
                    return Err(internal(format!(
                        "receipt {id} was answered by model {other}, which is not loaded"
                    )))
                }
                (None, _) => requested.clone(),
            };
            let (input, a2) = (rec.input.clone(), answered.clone());
            let (q_in, values) = blocking(move || a2.compiled().witness(&input))
                .await?
                .map_err(internal)?;
            // (The stored salt stays out of any error: the answer goes to whoever holds the id.)
            let salt = rec
                .input_salt
                .as_deref()
                .map(zkinfer_core::commitment::parse_input_salt)
                .transpose()
                .map_err(|_| internal(format!("receipt {id}: its stored input salt is corrupt")))?;
            let edit = app.tamper.as_ref().and_then(|t| {
                let honest = &values[answered.compiled().graph.output];
                t.edit(&requested, honest).1
            });
            let mut queued = rec.clone();
            queued.status = Status::Queued;
            app.jobs.save(&queued).await.map_err(internal)?;
            let witness = proof_witness(&answered, q_in, values, salt);
            let job = Job {
                receipt: queued,
                model: answered,
                witness,
                edit,
            };
            if app.jobs.push(job).await.map_err(internal)?.is_none() {
                // Back to unproven, so a later request can try again.
                app.jobs.save(&rec).await.map_err(internal)?;
                return Err(queue_full());
            }
            let pending = app
                .jobs
                .status(&id)
                .await
                .map_err(internal)?
                .unwrap_or(Pending::Proving);
            Ok((StatusCode::ACCEPTED, Json(pending_json(pending))).into_response())
        }
        Status::Done => {
            let bytes = app.jobs.proof(&id).await.map_err(internal)?;
            // Signed, so a bad proof is evidence against this provider that others can check.
            let signature = app.provider.sign_proof(&rec.id, &bytes);
            let mut response = octets(bytes, &format!("{}.proof", rec.id));
            if let Ok(v) = HeaderValue::from_str(&signature) {
                response.headers_mut().insert(
                    header::HeaderName::from_static("x-zkinfer-proof-signature"),
                    v,
                );
            }
            Ok(response)
        }
        Status::Failed => Err(err(
            StatusCode::INTERNAL_SERVER_ERROR,
            rec.error.unwrap_or_else(|| "proving failed".into()),
        )),
        // Pending on disk but not in the queue: its result could not be stored.
        Status::Queued | Status::Proving => Err(err(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the proof was not stored (see the server log)",
        )),
    }
}

async fn receipt(State(app): AppRef, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    if !valid_id(&id) {
        return Err(err(
            StatusCode::NOT_FOUND,
            format!("unknown receipt '{id}'"),
        ));
    }
    let pending = app.jobs.status(&id).await.map_err(internal)?;
    let rec = load(&app, &id).await?;
    let mut v = serde_json::to_value(&rec).map_err(internal)?;
    // Receipt ids travel in signed receipts and audit reports: the input and its salt, which
    // only the consumer who sent them should hold, are not served here.
    if let Some(obj) = v.as_object_mut() {
        obj.remove("input");
        obj.remove("input_salt");
    }
    if let Some(p) = pending {
        if let (Some(obj), Value::Object(live)) = (v.as_object_mut(), pending_json(p)) {
            obj.extend(live);
        }
    }
    Ok(Json(v))
}
