//! Microsoft Graph as a wiremock server: the token endpoint, user lookup by UPN (any `…@acme.example`
//! exists with id `id-<local part>`; `ghost@…` does not), `checkMemberGroups` (ids containing
//! `breakglass` are in [`PROTECTED_GROUP`]), `PATCH /users/{id}` and `revokeSignInSessions`. Shared by
//! `tests/it/governance.rs`, the command-line tests in `cli/tests/governance.rs` and the cloud-shape tests in
//! `tests/aws/governance.rs`.

use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const PROTECTED_GROUP: &str = "0000aaaa-0000-0000-0000-00000000b001";

/// The token scope [`suspend_on_travel_config`] configures.
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";

/// Graph's user lookup: any `…@acme.example` exists, with id `id-<local part>`; `ghost@…` does not.
struct Users;

impl Respond for Users {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let filter = request.url.query_pairs().find(|(k, _)| k == "$filter").map(|(_, v)| v.into_owned());
        let email = filter
            .as_deref()
            .and_then(|f| f.strip_prefix("userPrincipalName eq '"))
            .and_then(|f| f.split('\'').next())
            .unwrap_or_default()
            .to_string();
        let local = email.split('@').next().unwrap_or_default();
        let value = if local.starts_with("ghost") {
            json!([])
        } else {
            json!([{"id": format!("id-{local}"), "userPrincipalName": email, "mail": email, "accountEnabled": true}])
        };
        ResponseTemplate::new(200).set_body_json(json!({ "value": value }))
    }
}

/// `checkMemberGroups`: users whose id contains `breakglass` are in the protected group.
struct Membership;

impl Respond for Membership {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let member = request.url.path().contains("breakglass");
        ResponseTemplate::new(200)
            .set_body_json(json!({ "value": if member { vec![PROTECTED_GROUP] } else { vec![] } }))
    }
}

pub async fn graph_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path_regex(r"^/[^/]+/oauth2/v2\.0/token$"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"token_type": "Bearer", "expires_in": 3599, "access_token": "tok"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET")).and(path("/v1.0/users")).respond_with(Users).mount(&server).await;
    Mock::given(method("POST")).and(path_regex(r"/checkMemberGroups$")).respond_with(Membership).mount(&server).await;
    Mock::given(method("PATCH"))
        .and(path_regex(r"^/v1\.0/users/[^/]+$"))
        .respond_with(ResponseTemplate::new(204).insert_header("request-id", "rq-patch"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(r"/revokeSignInSessions$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": true})))
        .mount(&server)
        .await;
    server
}

/// A configuration in which impossible travel suspends the user automatically through this Graph, with
/// the client secret read from `secret_name` and cities from `city_db`. A test server is not a resource
/// Entra knows, so the token's scope is set apart from `graph_host`, as for a proxy.
pub fn suspend_on_travel_config(city_db: &str, secret_name: &str, graph_uri: &str) -> String {
    format!(
        r#"tenant = "acme"
[enrichment]
city_db = "{city_db}"
[detections.impossible_travel]
learning_period = "0s"
governance = [{{ action = "suspend-user", mode = "automatic" }}]
[governance]
dry_run = false
allowed_domains = ["acme.example"]
[governance.graph]
tenant_id = "tenant-1"
client_id = "client-1"
client_secret_env = "{secret_name}"
authority_host = "{graph_uri}"
graph_host = "{graph_uri}"
scope = "{GRAPH_SCOPE}"
"#
    )
}

/// Two Slack sign-ins of one user an hour apart, from the US and from Sweden (MaxMind's test database):
/// impossible travel.
pub fn travel_entries() -> [Value; 2] {
    let entry = |id: &str, at: i64, ip: &str| {
        let user = json!({"id": "W0KOFI", "name": "Kofi Khan", "email": "kofi.khan@acme.example"});
        json!({
            "id": id, "date_create": at, "action": "user_login",
            "actor": {"type": "user", "user": user}, "entity": {"type": "user", "user": user},
            "context": {"ip_address": ip, "ua": "Mozilla/5.0", "location": {"type": "enterprise", "id": "E0ACME0001"}}
        })
    };
    [entry("trip-1", 1_791_968_400, "216.160.83.56"), entry("trip-2", 1_791_972_000, "89.160.20.112")]
}
