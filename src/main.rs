//! `walkjump`: the command-line face of Walk-Jump Studio.

mod cli;

use clap::Parser;

/// glibc gives every allocation above its mmap threshold its own mapping and unmaps
/// it on free, and trims the heap top back to the system; the network's large
/// temporaries were then page-faulted in afresh every step (~15 % of a step on
/// ndarray, measured with perf). Keep freed memory in the process instead.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_freed_memory() {
    // 32 MiB is glibc's largest mmap threshold on 64-bit systems.
    // SAFETY: mallopt only sets allocator parameters; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_freed_memory() {}

fn main() {
    keep_freed_memory();
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
