//! Serves the demo city on 127.0.0.1:8090 (where `config/demo/providers/*.toml` point), dated
//! today, until Ctrl-C:
//!
//! ```sh
//! cargo run -p learncity-citygen --example serve_demo
//! cargo run -- check http://127.0.0.1:8090/library/afisha.html --provider config/demo/providers/central-library.toml
//! ```

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let city = Arc::new(learncity_citygen::demo(chrono::Local::now().date_naive()));
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8090".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("serving {} documents of the demo city on http://{addr}/", city.documents.len());
    let stop = CancellationToken::new();
    let on_signal = stop.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        on_signal.cancel();
    });
    learncity_citygen::serve(city, listener, stop).await
}
