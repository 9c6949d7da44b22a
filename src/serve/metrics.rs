//! The server's Prometheus metrics (the `prometheus-client` crate): requests and errors by
//! route and status code, rows predicted, and a latency histogram per route, in Prometheus'
//! text format at `GET /metrics`.

use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Answered {
    route: String,
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    route: String,
}

fn latency_histogram() -> Histogram {
    // 50 µs to about 3 s.
    Histogram::new(exponential_buckets(0.00005, 2.0, 17))
}

/// Counters and histograms, registered once.
pub struct Metrics {
    registry: Registry,
    requests: Family<Answered, Counter>,
    errors: Family<Answered, Counter>,
    rows: Counter,
    latency: Family<Route, Histogram, fn() -> Histogram>,
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::with_prefix("automl");
        let requests = Family::<Answered, Counter>::default();
        let errors = Family::<Answered, Counter>::default();
        let rows = Counter::default();
        let latency: Family<Route, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        registry.register(
            "requests",
            "HTTP requests by route and status code",
            requests.clone(),
        );
        registry.register(
            "errors",
            "HTTP answers of 4xx and 5xx by route and status code",
            errors.clone(),
        );
        registry.register("rows_predicted", "Rows predicted", rows.clone());
        registry.register(
            "request_duration_seconds",
            "Time from request to answer, by route",
            latency.clone(),
        );
        Metrics {
            registry,
            requests,
            errors,
            rows,
            latency,
        }
    }
}

impl Metrics {
    /// Counts an answer of `code` on `route` that took `elapsed`.
    pub fn answered(&self, route: &str, code: u16, elapsed: Duration) {
        let labels = Answered {
            route: route.to_string(),
            code: code.to_string(),
        };
        self.requests.get_or_create(&labels).inc();
        if code >= 400 {
            self.errors.get_or_create(&labels).inc();
        }
        self.latency
            .get_or_create(&Route {
                route: route.to_string(),
            })
            .observe(elapsed.as_secs_f64());
    }

    pub fn predicted(&self, rows: usize) {
        self.rows.inc_by(rows as u64);
    }

    /// Everything in Prometheus' text format.
    pub fn text(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}
