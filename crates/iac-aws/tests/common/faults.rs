//! Fault injection in the SDK client: an interceptor that adds latency to every request and
//! sends every Nth request to a local server that answers with the service's own throttling
//! error, so the request never reaches AWS (moto), exactly as a throttled call on AWS.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::interceptors::{Intercept, SharedInterceptor};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// What to inject.
#[derive(Debug)]
pub struct Faults {
    /// Every Nth request is throttled (0: none).
    pub throttle_every: usize,
    /// Added before every request (blocks the calling worker thread; give the runtime enough).
    pub latency: Duration,
    calls: AtomicUsize,
    throttled: AtomicUsize,
    by_service: Mutex<BTreeMap<String, usize>>,
    port: u16,
}

impl Faults {
    /// Starts the throttling server and returns the faults and their interceptor.
    pub fn start(throttle_every: usize, latency: Duration) -> (Arc<Self>, SharedInterceptor) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("bound").port();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                std::thread::spawn(move || throttle(stream));
            }
        });
        let faults = Arc::new(Self {
            throttle_every,
            latency,
            calls: AtomicUsize::new(0),
            throttled: AtomicUsize::new(0),
            by_service: Mutex::new(BTreeMap::new()),
            port,
        });
        (Arc::clone(&faults), SharedInterceptor::new(Handle(faults)))
    }

    /// Requests throttled so far.
    pub fn throttled(&self) -> usize {
        self.throttled.load(Ordering::Relaxed)
    }

    /// Requests throttled so far, by signing name (`ec2`, `monitoring`, ...).
    pub fn throttled_by_service(&self) -> BTreeMap<String, usize> {
        self.by_service.lock().expect("not poisoned").clone()
    }

    /// Requests seen so far.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::Relaxed)
    }
}

#[derive(Debug)]
struct Handle(Arc<Faults>);

impl Intercept for Handle {
    fn name(&self) -> &'static str {
        "iac-test-faults"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let f = &self.0;
        if !f.latency.is_zero() {
            std::thread::sleep(f.latency);
        }
        let n = f.calls.fetch_add(1, Ordering::Relaxed) + 1;
        if f.throttle_every > 0 && n.is_multiple_of(f.throttle_every) {
            let request = context.request_mut();
            // The signing scope names the service: `Credential=KEY/DATE/REGION/SERVICE/aws4_request`.
            let service = request
                .headers()
                .get("authorization")
                .and_then(|a| a.split('/').nth(3))
                .unwrap_or("unknown")
                .to_owned();
            *f.by_service.lock().expect("not poisoned").entry(service.clone()).or_default() += 1;
            request.headers_mut().insert("x-iac-fault-service", service);
            request.set_uri(format!("http://127.0.0.1:{}/", f.port))?;
            f.throttled.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }
}

/// Services of the JSON protocols (`restJson1`, `awsJson1_x`), by signing name: their SDKs read the
/// error code from the `x-amzn-ErrorType` header and `__type`.
const JSON: [&str; 7] = ["elasticfilesystem", "kms", "ecs", "logs", "scheduler", "secretsmanager", "ssm"];

/// Answers one request with the throttling error of its service's protocol.
fn throttle(mut stream: std::net::TcpStream) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let Ok(n) = stream.read(&mut chunk) else { return };
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
        .unwrap_or(0);
    while buf.len() < head_end + length {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let service = head.lines().find_map(|l| l.strip_prefix("x-iac-fault-service:")).map_or("", str::trim).to_owned();
    let (status, kind, extra, body): (&str, &str, &str, Vec<u8>) = match service.as_str() {
        "ec2" => (
            "503 Service Unavailable",
            "text/xml",
            "",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>RequestLimitExceeded</Code>\
             <Message>Request limit exceeded.</Message></Error></Errors><RequestID>iac-fault</RequestID></Response>"
                .into(),
        ),
        // S3 (rest-xml): a bare `Error` root.
        "s3" => (
            "503 Slow Down",
            "application/xml",
            "",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code><Message>Please reduce your request \
             rate.</Message><RequestId>iac-fault</RequestId></Error>"
                .into(),
        ),
        // CloudWatch (rpc-v2-cbor, awsQueryCompatible): a CBOR map with `__type`, and the query
        // protocol's code in `x-amzn-query-error`, which the SDK reports as the error's code.
        "monitoring" => {
            let mut body = aws_smithy_cbor::Encoder::new(Vec::new());
            body.map(2)
                .str("__type")
                .str("com.amazonaws.cloudwatch#ThrottlingException")
                .str("message")
                .str("Rate exceeded");
            (
                "400 Bad Request",
                "application/cbor",
                "smithy-protocol: rpc-v2-cbor\r\nx-amzn-query-error: Throttling;Sender\r\n",
                body.into_writer(),
            )
        }
        s if JSON.contains(&s) => (
            "400 Bad Request",
            "application/x-amz-json-1.1",
            "x-amzn-ErrorType: ThrottlingException\r\n",
            "{\"__type\":\"ThrottlingException\",\"message\":\"Rate exceeded\"}".into(),
        ),
        _ => (
            "400 Bad Request",
            "text/xml",
            "",
            "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>\
             <RequestId>iac-fault</RequestId></ErrorResponse>"
                .into(),
        ),
    };
    let mut resp = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    resp.extend_from_slice(&body);
    let _ = stream.write_all(&resp);
}
