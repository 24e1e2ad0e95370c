//! `walkjump`: the command-line face of Walk-Jump Studio.

mod cli;

use clap::Parser;

fn main() {
    // The Vulkan loader (behind wgpu) complains on every start without this; set it
    // while the process is still single-threaded.
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        let dir = std::env::temp_dir().join("walkjump-xdg");
        if std::fs::create_dir_all(&dir).is_ok() {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).ok();
            }
            std::env::set_var("XDG_RUNTIME_DIR", &dir);
        }
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new(
                    // wgpu and cubecl describe every adapter at info level: noise here.
                    "info,wgpu_core=warn,wgpu_hal=warn,cubecl_wgpu=warn,cubecl_runtime=warn",
                )
            }),
        )
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    let args = cli::Cli::parse();
    if let Err(e) = cli::run(args) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
