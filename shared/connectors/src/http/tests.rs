//! The shared client against a real HTTP server (wiremock), with recorded waits instead of sleeps.

use std::sync::Arc;

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-20T10:00:00Z").map(|d| d.with_timezone(&Utc)).unwrap_or_default()
}

fn client(policy: RetryPolicy) -> Result<(HttpClient, ManualClock), HttpError> {
    let clock = ManualClock::new(start());
    let client = HttpClient::with_time(policy, Arc::new(clock.clone()), Arc::new(clock.clone()))?;
    Ok((client, clock))
}

async fn get_text(client: &HttpClient, server: &MockServer) -> Result<String, HttpError> {
    let url = format!("{}/thing", server.uri());
    client
        .execute("test thing", |http| http.get(&url), default_verdict)
        .await
        .map(|response| String::from_utf8_lossy(&response.body).into_owned())
}

#[tokio::test]
async fn a_429_waits_what_retry_after_asks_then_succeeds() -> Result<(), HttpError> {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/thing"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "30"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/thing"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .mount(&server)
        .await;
    let (client, clock) = client(RetryPolicy::default())?;
    assert_eq!(get_text(&client, &server).await?, "ok");
    assert_eq!(clock.waits(), [Duration::from_secs(30)]);
    let stats = client.stats();
    assert_eq!((stats.requests, stats.rate_limited, stats.waited), (2, 1, Duration::from_secs(30)));
    Ok(())
}

#[tokio::test]
async fn server_errors_are_retried_with_growing_backoff_until_attempts_run_out() -> Result<(), HttpError> {
    let server = MockServer::start().await;
    Mock::given(method("GET")).and(path("/thing")).respond_with(ResponseTemplate::new(503)).mount(&server).await;
    let policy = RetryPolicy { max_attempts: 3, base_backoff: Duration::from_secs(4), ..RetryPolicy::default() };
    let (client, clock) = client(policy)?;
    let error = get_text(&client, &server).await.err();
    assert!(matches!(error, Some(HttpError::Exhausted { attempts: 3, .. })), "{error:?}");
    let waits = clock.waits();
    assert_eq!(waits.len(), 2);
    assert!((Duration::from_secs(2)..=Duration::from_secs(4)).contains(&waits[0]), "{waits:?}");
    assert!((Duration::from_secs(4)..=Duration::from_secs(8)).contains(&waits[1]), "{waits:?}");
    assert_eq!(server.received_requests().await.map(|r| r.len()), Some(3));
    Ok(())
}

#[tokio::test]
async fn a_server_error_then_success_returns_the_success() -> Result<(), HttpError> {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/thing"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/thing"))
        .respond_with(ResponseTemplate::new(200).set_body_string("fine"))
        .mount(&server)
        .await;
    let (client, clock) = client(RetryPolicy::default())?;
    assert_eq!(get_text(&client, &server).await?, "fine");
    assert_eq!(clock.waits().len(), 1);
    assert_eq!(client.stats().retries, 1);
    Ok(())
}

#[tokio::test]
async fn a_wait_past_the_deadline_stops_instead_of_waiting() -> Result<(), HttpError> {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/thing"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "120"))
        .mount(&server)
        .await;
    let (client, clock) = client(RetryPolicy::default())?;
    client.set_deadline(Some(start() + chrono::Duration::seconds(60)));
    let error = get_text(&client, &server).await.err();
    assert!(matches!(error, Some(HttpError::OutOfTime { .. })), "{error:?}");
    assert!(clock.waits().is_empty());
    Ok(())
}

#[tokio::test]
async fn no_request_starts_past_the_deadline() -> Result<(), HttpError> {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    let (client, _clock) = client(RetryPolicy::default())?;
    client.set_deadline(Some(start()));
    let error = get_text(&client, &server).await.err();
    assert!(matches!(error, Some(HttpError::OutOfTime { .. })), "{error:?}");
    assert_eq!(server.received_requests().await.map(|r| r.len()), Some(0));
    Ok(())
}

#[tokio::test]
async fn a_request_in_flight_is_cut_at_the_deadline_not_at_the_policy_timeout() -> Result<(), HttpError> {
    // The server answers after 30 s, within the policy's 60 s timeout; the run has 50 ms left (the manual
    // clock stands still, so the deadline is that far away in real time too).
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(30)))
        .mount(&server)
        .await;
    let (client, clock) = client(RetryPolicy::default())?;
    client.set_deadline(Some(start() + chrono::Duration::milliseconds(50)));
    let error = get_text(&client, &server).await.err();
    // The timed-out request would be retried after a backoff, which the deadline does not leave time for.
    assert!(matches!(error, Some(HttpError::OutOfTime { .. })), "{error:?}");
    assert_eq!((client.stats().requests, clock.waits().len()), (1, 0));
    Ok(())
}

#[tokio::test]
async fn a_last_attempt_cut_at_the_deadline_is_out_of_time_not_a_failing_api() -> Result<(), HttpError> {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(30)))
        .mount(&server)
        .await;
    let (client, _clock) = client(RetryPolicy { max_attempts: 1, ..RetryPolicy::default() })?;
    client.set_deadline(Some(start() + chrono::Duration::milliseconds(50)));
    let error = get_text(&client, &server).await.err();
    assert!(matches!(error, Some(HttpError::OutOfTime { .. })), "{error:?}");
    Ok(())
}

#[tokio::test]
async fn a_rate_limit_wait_longer_than_allowed_ends_the_request() -> Result<(), HttpError> {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/thing"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "3600"))
        .mount(&server)
        .await;
    let (client, _clock) = client(RetryPolicy::default())?;
    let error = get_text(&client, &server).await.err();
    assert!(matches!(error, Some(HttpError::RateLimitTooLong { .. })), "{error:?}");
    Ok(())
}

#[tokio::test]
async fn the_request_budget_spaces_requests_without_any_429() -> Result<(), HttpError> {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/thing"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .mount(&server)
        .await;
    let (client, clock) = client(RetryPolicy { requests_per_minute: 2, ..RetryPolicy::default() })?;
    for _ in 0..5 {
        get_text(&client, &server).await?;
    }
    // Requests 3 and 5 each wait for the oldest of the last minute to leave it.
    assert_eq!(clock.waits(), [Duration::from_secs(60), Duration::from_secs(60)]);
    Ok(())
}

#[tokio::test]
async fn a_connection_failure_is_retried_and_reported_without_secrets() -> Result<(), HttpError> {
    let (client, clock) = client(RetryPolicy { max_attempts: 2, ..RetryPolicy::default() })?;
    let secret = Secret::new("xoxp-do-not-print");
    let error = client
        .execute(
            "test closed port",
            |http| http.get("http://127.0.0.1:9/logs").bearer_auth(secret.expose()),
            default_verdict,
        )
        .await
        .err();
    let message = error.as_ref().map(ToString::to_string).unwrap_or_default();
    assert!(matches!(error, Some(HttpError::Exhausted { attempts: 2, .. })), "{message}");
    assert!(message.contains("test closed port") && !message.contains("do-not-print"), "{message}");
    assert_eq!(clock.waits().len(), 1);
    Ok(())
}
