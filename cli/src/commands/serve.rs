//! `saaswarden serve`: the console and the HTTP API on the local store, as notebook servers do it — a
//! random access token made at start, printed with the URL to open, checked on every request.

use std::io::Write as _;
use std::net::SocketAddr;

use anyhow::Context as _;
use saaswarden_api::{Api, Auth, policies, router};

use crate::cli::{Global, ServeArgs};
use crate::exit;
use crate::settings::{load_config, load_policies, open_store};

pub async fn execute(global: &Global, args: ServeArgs) -> anyhow::Result<u8> {
    let config = load_config(global.config.as_deref())?;
    let store = open_store(global.db.as_deref())?;
    let idp = super::governance::provider(&config)?;
    let custom = load_policies(&config, global.config.as_deref())?;
    let policies = policies(&config, custom.as_ref());
    let token = token()?;
    let name = std::env::var("USER").ok().filter(|u| !u.is_empty()).unwrap_or_else(|| "local".to_string());
    let api = Api {
        store,
        idp,
        policies,
        // Without a configuration the store may hold any tenant (the demo's is `acme`): show them all.
        tenant: global.config.is_some().then(|| config.tenant.clone()),
        config,
        auth: Auth::local(&token, &name),
    };
    let listener = tokio::net::TcpListener::bind(SocketAddr::new(args.bind, args.port))
        .await
        .with_context(|| format!("cannot listen on {}:{} (another server there? try --port)", args.bind, args.port))?;
    let address = listener.local_addr().context("the listening address")?;
    if !args.bind.is_loopback() {
        eprintln!(
            "warning: listening on {address}, reachable from the network over plain HTTP; anyone who sees the \
             token can act as you"
        );
    }
    let host = if args.bind.is_unspecified() { "127.0.0.1".to_string() } else { args.bind.to_string() };
    let base = match address {
        SocketAddr::V6(_) => format!("http://[{host}]:{}", address.port()),
        SocketAddr::V4(_) => format!("http://{host}:{}", address.port()),
    };
    let banner = format!(
        "saaswarden console: open {base}/?token={token}\nAPI: {base}/api/v1/ with the header `Authorization: Bearer \
         {token}` (OpenAPI at /api/v1/openapi.json)\nStop with Ctrl-C.\n"
    );
    // Whoever started the server may stop reading its output once it has the URL; serving goes on.
    let mut stdout = std::io::stdout();
    let _ = stdout.write_all(banner.as_bytes()).and_then(|()| stdout.flush());
    axum::serve(listener, router(api.shared()))
        .with_graceful_shutdown(async {
            // No signal handler means no way to stop but killing: serving on is the better failure.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        })
        .await
        .context("serving")?;
    Ok(exit::OK)
}

/// The access token: 32 random bytes from the operating system, hex.
fn token() -> anyhow::Result<String> {
    saaswarden_api::sign_in::random_token().context("the operating system's random source")
}
