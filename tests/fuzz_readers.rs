//! Every reader of an outside file, fed at least 10,000 mutated copies of real files:
//! byte and bit flips, truncations, inserted random bytes, deleted and duplicated
//! chunks, splices of two seeds, absurd integers written into header fields and
//! absurd numbers into text. Each must return Ok or Err: never panic, and never make
//! one allocation larger than 32 MiB + 128 bytes per byte of input (a reader that
//! trusts a count in a header asks for gigabytes from a file of a few hundred bytes).
//!
//! The mutations come from a seeded SmallRng, so a run is reproducible; inputs that
//! fail are written under `target/tmp/fuzz-failures/` and named in the failure.
//! Inputs that broke a reader before it was fixed live in `tests/data/fuzz/` and are
//! checked by `regression_inputs_are_errors`.

mod common;
use common::*;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::time::Instant;
use walkjump::io::run_info::RunInfo;
use walkjump::io::{dcd, pdb_traj, xtc};
use walkjump::lab::trajdiff::DynamicsMeta;
use walkjump::lab::DynamicsModel;
use walkjump::molecule::{load_structure, LoadOptions};
use walkjump::nn::{Cpu, LearnedModel, ModelMeta};

// ---------------------------------------------------------------------------------
// The largest single allocation each thread asks for, so "never allocate absurdly"
// is measured rather than hoped for.

struct Tracking;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

/// No test input justifies more than this in one piece: refuse it outright (the
/// process then aborts naming the size) rather than let the machine swap.
const HARD_LIMIT: usize = 4 << 30;

unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        note(l.size());
        if l.size() > HARD_LIMIT {
            return std::ptr::null_mut();
        }
        unsafe { System.alloc(l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        note(l.size());
        if l.size() > HARD_LIMIT {
            return std::ptr::null_mut();
        }
        unsafe { System.alloc_zeroed(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        note(new);
        if new > HARD_LIMIT {
            return std::ptr::null_mut();
        }
        unsafe { System.realloc(p, l, new) }
    }
}

fn note(size: usize) {
    let _ = LARGEST.try_with(|m| m.set(m.get().max(size)));
}

#[global_allocator]
static ALLOC: Tracking = Tracking;

fn allocation_budget(input_len: usize) -> usize {
    (32 << 20) + 128 * input_len
}

// ---------------------------------------------------------------------------------
// Panics inside readers: the message and place of the last one on this thread, so
// one caught inside a reader (pdbtbx, molly, burn) can be reported too.

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
    /// While a fuzz case runs, panics are only recorded (and reported by the harness):
    /// printing each one, with a backtrace under RUST_BACKTRACE, would be most of the
    /// run time.
    static IN_CASE: Cell<bool> = const { Cell::new(false) };
}

fn install_panic_recorder() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let msg = format!("{info}");
            let _ = LAST_PANIC.try_with(|p| *p.borrow_mut() = Some(msg));
            if !IN_CASE.try_with(|c| c.get()).unwrap_or(false) {
                default(info);
            }
        }));
    });
}

/// Run `f` as one fuzz case: a panic in it is recorded, not printed.
fn quietly<T>(f: impl FnOnce() -> T) -> std::thread::Result<T> {
    IN_CASE.with(|c| c.set(true));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    IN_CASE.with(|c| c.set(false));
    r
}

fn take_last_panic() -> Option<String> {
    LAST_PANIC.with(|p| p.borrow_mut().take())
}

// ---------------------------------------------------------------------------------
// Mutations.

/// A header field worth hitting with absurd values.
#[derive(Clone, Copy)]
struct Field {
    offset: usize,
    width: usize,
    big_endian: bool,
}

struct Seed {
    bytes: Vec<u8>,
    /// Most mutations land before this offset (the header of a model file).
    focus: usize,
    fields: Vec<Field>,
}

impl Seed {
    fn new(bytes: Vec<u8>) -> Self {
        let focus = bytes.len();
        Seed {
            bytes,
            focus,
            fields: vec![],
        }
    }
}

const NASTY: [u64; 12] = [
    0,
    1,
    9,
    10,
    1_000_000_000,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
    0x7fff_ffff_ffff_ffff,
    u64::MAX,
    u64::MAX - 3,
];

const NASTY_TEXT: [&str; 12] = [
    "0",
    "-1",
    "1000000000",
    "99999999999999999999",
    "18446744073709551615",
    "-2147483649",
    "1e400",
    "-1e400",
    "NaN",
    "inf",
    "",
    "0.0000000000000000000000000000000000000000001",
];

fn write_int(buf: &mut [u8], f: Field, v: u64) {
    let Some(slot) = buf.get_mut(f.offset..f.offset + f.width) else {
        return;
    };
    let bytes = if f.big_endian {
        v.to_be_bytes()
    } else {
        v.to_le_bytes()
    };
    if f.width == 8 {
        slot.copy_from_slice(&bytes);
    } else if f.big_endian {
        slot.copy_from_slice(&bytes[4..]);
    } else {
        slot.copy_from_slice(&bytes[..4]);
    }
}

fn position(rng: &mut SmallRng, len: usize, focus: usize) -> usize {
    if len == 0 {
        return 0;
    }
    if rng.random_bool(0.85) && focus > 0 {
        rng.random_range(0..focus.min(len))
    } else {
        rng.random_range(0..len)
    }
}

fn random_bytes(rng: &mut SmallRng, n: usize, text: bool) -> Vec<u8> {
    const PRINTABLE: &[u8] = b"0123456789 .-+eE\nATOMHETMODELENDMDL{}[]\",:_#;'?";
    (0..n)
        .map(|_| {
            if text && rng.random_bool(0.7) {
                PRINTABLE[rng.random_range(0..PRINTABLE.len())]
            } else {
                rng.random()
            }
        })
        .collect()
}

/// Replace a run of digits (or any spot) in text by an absurd number.
fn nasty_number(rng: &mut SmallRng, d: &mut Vec<u8>, focus: usize) {
    let at = position(rng, d.len(), focus);
    let start = (at..d.len()).find(|&i| d[i].is_ascii_digit()).unwrap_or(at);
    let mut end = start;
    while end < d.len() && (d[end].is_ascii_digit() || d[end] == b'.') {
        end += 1;
    }
    let s = NASTY_TEXT[rng.random_range(0..NASTY_TEXT.len())];
    d.splice(start..end, s.bytes());
}

fn mutate(rng: &mut SmallRng, seeds: &[Seed], text: bool) -> Vec<u8> {
    let seed = &seeds[rng.random_range(0..seeds.len())];
    let mut d = seed.bytes.clone();
    let focus = seed.focus;
    for _ in 0..rng.random_range(1..=3) {
        let len = d.len();
        match rng.random_range(0..10) {
            0 | 1 => {
                for _ in 0..rng.random_range(1..=4) {
                    if len > 0 {
                        let i = position(rng, len, focus);
                        d[i] ^= rng.random_range(1..=255u8);
                    }
                }
            }
            2 => {
                if len > 0 {
                    let i = position(rng, len, focus);
                    d[i] ^= 1 << rng.random_range(0..8);
                }
            }
            3 => {
                let at = rng.random_range(0..=len);
                d.truncate(at);
            }
            4 => {
                let at = position(rng, len, focus);
                let n = rng.random_range(1..=32);
                let ins = random_bytes(rng, n, text);
                d.splice(at..at, ins);
            }
            5 => {
                if len > 0 {
                    let a = position(rng, len, focus);
                    let b = (a + rng.random_range(1..=64)).min(len);
                    d.drain(a..b);
                }
            }
            6 => {
                if len > 0 {
                    let a = rng.random_range(0..len);
                    let b = (a + rng.random_range(1..=512)).min(len);
                    let chunk = d[a..b].to_vec();
                    let at = position(rng, len, focus);
                    d.splice(at..at, chunk);
                }
            }
            7 => {
                if text {
                    nasty_number(rng, &mut d, focus);
                } else if !seed.fields.is_empty() && rng.random_bool(0.7) {
                    let f = seed.fields[rng.random_range(0..seed.fields.len())];
                    write_int(&mut d, f, NASTY[rng.random_range(0..NASTY.len())]);
                } else {
                    let f = Field {
                        offset: position(rng, len, focus) & !3,
                        width: if rng.random_bool(0.8) { 4 } else { 8 },
                        big_endian: rng.random(),
                    };
                    write_int(&mut d, f, NASTY[rng.random_range(0..NASTY.len())]);
                }
            }
            8 => {
                // The start of this input, the rest of another seed.
                let other = &seeds[rng.random_range(0..seeds.len())].bytes;
                let cut = rng.random_range(0..=len);
                let from = rng.random_range(0..=other.len());
                d.truncate(cut);
                d.extend_from_slice(&other[from..]);
            }
            _ => {
                if text {
                    nasty_number(rng, &mut d, focus);
                } else if len >= 4 {
                    // Overwrite four bytes with a copy of four others (a plausible
                    // but wrong value).
                    let a = rng.random_range(0..len - 3);
                    let b = position(rng, len - 3, focus);
                    let w: [u8; 4] = d[a..a + 4].try_into().unwrap();
                    d[b..b + 4].copy_from_slice(&w);
                }
            }
        }
    }
    d
}

// ---------------------------------------------------------------------------------
// The harness.

type Reader = dyn Fn(&Path) -> Result<(), String>;

fn failure_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fuzz-failures");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Run `read` on every `cases` (targeted ones first), each written to `file_name` in
/// a temporary directory. Fails listing the first inputs that panicked or allocated
/// too much; inputs on which a third-party parser panicked inside the reader (caught
/// there, so an Err) are reported on stderr with where they are saved.
fn run(
    name: &str,
    file_name: &str,
    seeds: &[Seed],
    text: bool,
    total: usize,
    rng_seed: u64,
    read: &Reader,
) -> usize {
    install_panic_recorder();
    seeds_read(seeds, file_name, read);
    let inputs = cases(seeds, text, total, rng_seed);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(file_name);
    let t0 = Instant::now();
    let (mut cases, mut ok) = (0, 0);
    let mut failures: Vec<String> = vec![];
    // Panics caught inside the reader, by where they happened: (count, first input).
    let mut caught: std::collections::BTreeMap<String, (usize, String)> = Default::default();
    for input in inputs {
        std::fs::write(&path, &input).unwrap();
        take_last_panic();
        LARGEST.with(|m| m.set(0));
        let result = quietly(|| read(&path));
        let largest = LARGEST.with(|m| m.get());
        let panic = take_last_panic();
        let problem = match &result {
            Err(_) => Some(format!(
                "panicked: {}",
                panic.as_deref().unwrap_or("(no message)")
            )),
            Ok(_) if largest > allocation_budget(input.len()) => Some(format!(
                "allocated {largest} bytes at once for a {}-byte input",
                input.len()
            )),
            _ => None,
        };
        if let Some(problem) = problem {
            if failures.len() < 5 {
                let saved = failure_dir().join(format!("{name}-{cases}-{file_name}"));
                std::fs::write(&saved, &input).unwrap();
                failures.push(format!("{}: {problem}", saved.display()));
            } else {
                failures.push(problem);
            }
        } else if let (Ok(Err(_)), Some(p)) = (&result, &panic) {
            // Err, but only because the reader caught a panic of the parser under it.
            let place = p.lines().next().unwrap_or("").to_string();
            let n = caught.len();
            let entry = caught.entry(place).or_insert_with(|| {
                let saved = failure_dir().join(format!("{name}-caught-{n}-{file_name}"));
                std::fs::write(&saved, &input).unwrap();
                let what = p.lines().skip(1).collect::<Vec<_>>().join(" ");
                let what: String = what.chars().take(100).collect();
                (0, format!("{} ({what})", saved.display()))
            });
            entry.0 += 1;
        }
        if matches!(result, Ok(Ok(()))) {
            ok += 1;
        }
        cases += 1;
    }
    let seconds = t0.elapsed().as_secs_f64();
    // Nothing the cases did (a poisoned lock in a library, say) keeps a good file from
    // reading afterwards.
    seeds_read(seeds, file_name, read);
    let n_caught: usize = caught.values().map(|c| c.0).sum();
    eprintln!(
        "fuzz {name}: {cases} inputs in {seconds:.2} s, {ok} read, {} errors \
         ({n_caught} of them panics caught inside the reader)",
        cases - ok - failures.len(),
    );
    for (place, (count, first)) in &caught {
        eprintln!("  {count:5} × {place}; first input: {first}");
    }
    assert!(
        failures.is_empty(),
        "{name}: {} of {cases} inputs broke the reader:\n{}",
        failures.len(),
        failures
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    cases
}

/// Targeted cases (every field of every seed set to every absurd value), then random
/// mutations up to `total`.
fn cases(
    seeds: &[Seed],
    text: bool,
    total: usize,
    rng_seed: u64,
) -> impl Iterator<Item = Vec<u8>> + '_ {
    let targeted: Vec<Vec<u8>> = seeds
        .iter()
        .flat_map(|s| {
            s.fields.iter().flat_map(move |&f| {
                NASTY.iter().map(move |&v| {
                    let mut d = s.bytes.clone();
                    write_int(&mut d, f, v);
                    d
                })
            })
        })
        .collect();
    let mut rng = SmallRng::seed_from_u64(rng_seed);
    let n_random = total.saturating_sub(targeted.len());
    targeted
        .into_iter()
        .chain((0..n_random).map(move |_| mutate(&mut rng, seeds, text)))
}

const CASES: usize = 10_000;

fn check_count(cases: usize, min_cases: usize) {
    assert!(cases >= min_cases, "only {cases} cases");
}

/// The seeds themselves must read, or the mutations test little but the first check.
fn seeds_read(seeds: &[Seed], file_name: &str, read: &Reader) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(file_name);
    for s in seeds {
        std::fs::write(&path, &s.bytes).unwrap();
        if let Err(e) = read(&path) {
            panic!("a seed of {file_name} does not read: {e}");
        }
    }
}

// ---------------------------------------------------------------------------------
// Seeds.

/// The first `frames` frames of a DCD file (header records plus frame records).
fn dcd_prefix(bytes: &[u8], frames: usize) -> Vec<u8> {
    let rec = |pos: usize| -> usize {
        let n = i32::from_le_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
        pos + n + 8
    };
    let mut pos = 0;
    for _ in 0..3 {
        pos = rec(pos);
    }
    let header = &bytes[4..88];
    let icntrl = |k: usize| i32::from_le_bytes(header[4 + 4 * k..8 + 4 * k].try_into().unwrap());
    let per_frame = if icntrl(19) != 0 && icntrl(10) != 0 {
        4
    } else {
        3
    };
    for _ in 0..frames * per_frame {
        pos = rec(pos);
    }
    bytes[..pos].to_vec()
}

fn dcd_seeds() -> Vec<Seed> {
    let le = |offset| Field {
        offset,
        width: 4,
        big_endian: false,
    };
    let mut seeds = vec![];
    for name in ["ala2-reference.dcd", "ala2-train-forces.dcd"] {
        let full = std::fs::read(repo().join("assets/data").join(name)).unwrap();
        let bytes = dcd_prefix(&full, 4);
        // Header: marker, CORD, NSET (frame count), ..., marker; titles; atom count.
        let title_end = 92 + 8 + i32::from_le_bytes(bytes[92..96].try_into().unwrap()) as usize;
        let natoms_at = title_end + 4;
        let fields = vec![
            le(0),
            le(8),
            le(8 + 4 * 8),
            le(8 + 4 * 10),
            le(8 + 4 * 11),
            le(8 + 4 * 19),
            le(88),
            le(92),
            le(title_end),
            le(natoms_at),
            le(natoms_at + 4),
            le(natoms_at + 8),
            le(natoms_at + 12 + 88),
        ];
        seeds.push(Seed {
            focus: natoms_at + 16,
            bytes,
            fields,
        });
    }
    seeds
}

fn xtc_seeds() -> Vec<Seed> {
    let be = |offset, width| Field {
        offset,
        width,
        big_endian: true,
    };
    let fixture = std::fs::read(repo().join("tests/data/ala2_mdtraj.xtc")).unwrap();
    // The first four frames.
    let mut end = 0;
    for _ in 0..4 {
        let n = u32::from_be_bytes(fixture[end + 88..end + 92].try_into().unwrap()) as usize;
        end += 92 + n.div_ceil(4) * 4;
    }
    let second =
        92 + (u32::from_be_bytes(fixture[88..92].try_into().unwrap()) as usize).div_ceil(4) * 4;
    let fields = vec![
        be(0, 4),
        be(4, 4),
        be(52, 4),
        be(56, 4),
        be(60, 4),
        be(72, 4),
        be(84, 4),
        be(88, 4),
        be(88, 8),
        be(second + 4, 4),
        be(second + 52, 4),
        be(second + 88, 4),
    ];
    // Five atoms: stored uncompressed.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("small.xtc");
    let mut w = xtc::XtcWriter::create(&p, 5).unwrap();
    for k in 0..3 {
        let f: Vec<f64> = (0..15).map(|i| (i * 7 + k) as f64 * 0.37).collect();
        w.write_frame(&f).unwrap();
    }
    w.finish().unwrap();
    let small = std::fs::read(&p).unwrap();
    vec![
        Seed {
            focus: 120,
            bytes: fixture[..end].to_vec(),
            fields,
        },
        Seed {
            focus: small.len(),
            bytes: small,
            fields: vec![be(4, 4), be(52, 4), be(56, 4)],
        },
    ]
}

fn pdb_traj_seed() -> Seed {
    let s = load_structure(&ala2(), LoadOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.pdb");
    let frames: Vec<Vec<f64>> = (0..3)
        .map(|k| s.positions.iter().map(|v| v + 0.1 * k as f64).collect())
        .collect();
    walkjump::io::write_trajectory(&p, &s.topology, &frames).unwrap();
    Seed::new(std::fs::read(&p).unwrap())
}

/// A container file's header ends after magic, its 8-byte length and the JSON.
fn container_seed(bytes: Vec<u8>, magic_len: usize) -> Seed {
    let len_at = magic_len;
    let json_len = u64::from_le_bytes(bytes[len_at..len_at + 8].try_into().unwrap()) as usize;
    Seed {
        focus: magic_len + 8 + json_len + 16,
        fields: vec![Field {
            offset: len_at,
            width: 8,
            big_endian: false,
        }],
        bytes,
    }
}

const WJM_MAGIC: usize = b"WALKJUMP-MODEL v1\n".len();
const WJD_MAGIC: usize = b"WALKJUMP-DYNAMICS v1\n".len();

/// The metadata of a shipped model, read from its JSON header.
fn shipped_meta(name: &str) -> ModelMeta {
    let bytes = std::fs::read(repo().join("models").join(name)).unwrap();
    let n = u64::from_le_bytes(bytes[WJM_MAGIC..WJM_MAGIC + 8].try_into().unwrap()) as usize;
    let header: serde_json::Value =
        serde_json::from_slice(&bytes[WJM_MAGIC + 8..WJM_MAGIC + 8 + n]).unwrap();
    serde_json::from_value(header["meta"].clone()).unwrap()
}

fn seed_file(name: &str) -> Vec<u8> {
    std::fs::read(repo().join("tests/data/fuzz_seeds").join(name)).unwrap()
}

/// The ala2 model's metadata over a network small enough to fuzz quickly. Kept as a
/// file (`tests/data/fuzz_seeds/tiny.wjm`): burn gives every new parameter a random
/// id, so a network built here would differ from run to run, and so would the
/// mutations of it.
fn make_tiny_model() -> Vec<u8> {
    let mut meta = shipped_meta("ala2.wjm");
    meta.net.hidden = 4;
    meta.net.layers = 1;
    meta.net.radial_bases = 4;
    LearnedModel::<Cpu>::new(meta, &Default::default()).to_bytes()
}

/// A small trajectory model, kept as `tests/data/fuzz_seeds/tiny.wjd`.
fn make_tiny_dynamics() -> Vec<u8> {
    let mut meta = DynamicsMeta::new(6, 8, 1);
    // An untrained model's loss is NaN, which JSON writes as null and cannot read back.
    meta.final_loss = 0.25;
    meta.steps_trained = 1;
    DynamicsModel::<Cpu>::new(meta, &Default::default()).to_bytes()
}

fn sidecar_seed() -> Seed {
    let dir = tempfile::tempdir().unwrap();
    let traj = dir.path().join("run.dcd");
    RunInfo {
        command: "sample".into(),
        system: "alanine-dipeptide".into(),
        chains: 4,
        frames_per_chain: 250,
        params: serde_json::json!({"sigma": 0.4, "friction": 1.0, "dt": 0.1, "mass": 1.0,
            "steps": 1000, "model": "models/ala2.wjm", "changes": [[0, "sigma", 0.4]]}),
        diverged_restarts: 0,
        chirality_rejections: None,
        wall_seconds: 12.5,
    }
    .save(&traj)
    .unwrap();
    Seed::new(std::fs::read(walkjump::io::run_info::sidecar_path(&traj)).unwrap())
}

fn err_string<T, E: std::fmt::Display>(r: Result<T, E>) -> Result<(), String> {
    r.map(|_| ()).map_err(|e| e.to_string())
}

// ---------------------------------------------------------------------------------
// One test per reader.

#[test]
fn fuzz_dcd() {
    let seeds = dcd_seeds();
    let r = run("dcd", "t.dcd", &seeds, false, CASES, 1, &|p| {
        err_string(dcd::read(p))
    });
    check_count(r, CASES);
}

#[test]
fn fuzz_xtc() {
    let seeds = xtc_seeds();
    let r = run("xtc", "t.xtc", &seeds, false, CASES, 2, &|p| {
        err_string(xtc::read(p))
    });
    check_count(r, CASES);
}

#[test]
fn fuzz_pdb_trajectory() {
    let seeds = [pdb_traj_seed()];
    let r = run("pdb-traj", "t.pdb", &seeds, true, CASES, 3, &|p| {
        err_string(pdb_traj::read(p))
    });
    check_count(r, CASES);
}

#[test]
fn fuzz_structure_pdb() {
    let seeds = [Seed::new(std::fs::read(ala2()).unwrap())];
    let r = run("structure-pdb", "s.pdb", &seeds, true, CASES, 4, &|p| {
        err_string(load_structure(p, LoadOptions::default()))
    });
    check_count(r, CASES);
}

#[test]
fn fuzz_structure_cif() {
    let seeds = [Seed::new(seed_file("ala2.cif"))];
    let r = run("structure-cif", "s.cif", &seeds, true, CASES, 5, &|p| {
        err_string(load_structure(p, LoadOptions::default()))
    });
    check_count(r, CASES);
}

#[test]
fn fuzz_model_wjm() {
    let device = Default::default();
    let read = move |p: &Path| err_string(LearnedModel::<Cpu>::load(p, &device));
    // The shipped LJ-13 model itself (166 kB), mostly its header ...
    let shipped = [container_seed(
        std::fs::read(repo().join("models/lj13.wjm")).unwrap(),
        WJM_MAGIC,
    )];
    let a = run("wjm-lj13", "m.wjm", &shipped, true, 1_000, 6, &read);
    // ... and the ala2 model's header over a small network, whose weights decode fast.
    let tiny = [container_seed(seed_file("tiny.wjm"), WJM_MAGIC)];
    let b = run("wjm-tiny", "m.wjm", &tiny, true, CASES, 7, &read);
    check_count(a, 1_000);
    check_count(b, CASES);
}

#[test]
fn fuzz_dynamics_wjd() {
    let device = Default::default();
    let read = move |p: &Path| err_string(DynamicsModel::<Cpu>::load(p, &device));
    // The shipped model is 5 MB: a few hundred header mutations of it ...
    let shipped = [container_seed(
        std::fs::read(repo().join("models/dynamics-double-well.wjd")).unwrap(),
        WJD_MAGIC,
    )];
    let a = run("wjd-shipped", "m.wjd", &shipped, true, 200, 8, &read);
    // ... and the bulk on a small model of the same kind.
    let tiny = [container_seed(seed_file("tiny.wjd"), WJD_MAGIC)];
    let b = run("wjd-tiny", "m.wjd", &tiny, true, CASES, 9, &read);
    check_count(a, 200);
    check_count(b, CASES);
}

#[test]
fn fuzz_run_sidecar() {
    let seeds = [sidecar_seed()];
    let r = run("sidecar", "run.dcd.json", &seeds, true, CASES, 10, &|p| {
        let traj = p.with_extension("");
        err_string(RunInfo::load_for(&traj))
    });
    check_count(r, CASES);
}

// ---------------------------------------------------------------------------------
// Inputs that broke a reader before it was fixed.

fn read_any(p: &Path) -> Result<(), String> {
    let name = p.file_name().unwrap().to_string_lossy().into_owned();
    let device = Default::default();
    if let Some(traj) = name.strip_suffix(".json") {
        return err_string(RunInfo::load_for(&p.with_file_name(traj)));
    }
    match p.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "dcd" => err_string(dcd::read(p)),
        "xtc" => err_string(xtc::read(p)),
        "pdb" => {
            pdb_traj::read(p).map_err(|e| e.to_string())?;
            err_string(load_structure(p, LoadOptions::default()))
        }
        "cif" => err_string(load_structure(p, LoadOptions::default())),
        "wjm" => err_string(LearnedModel::<Cpu>::load(p, &device)),
        "wjd" => err_string(DynamicsModel::<Cpu>::load(p, &device)),
        other => panic!("{}: no reader for .{other}", p.display()),
    }
}

#[test]
fn regression_inputs_are_errors() {
    install_panic_recorder();
    let dir = repo().join("tests/data/fuzz");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e != "md"))
        .collect();
    files.sort();
    assert!(files.len() >= 8, "{} regression inputs", files.len());
    for p in &files {
        let len = std::fs::metadata(p).unwrap().len() as usize;
        LARGEST.with(|m| m.set(0));
        take_last_panic();
        let r = quietly(|| read_any(p));
        let largest = LARGEST.with(|m| m.get());
        match r {
            Err(_) => panic!(
                "{}: the reader panicked: {}",
                p.display(),
                take_last_panic().unwrap_or_default()
            ),
            Ok(Ok(())) => panic!("{}: read without error", p.display()),
            Ok(Err(e)) => eprintln!("{}: {e}", p.file_name().unwrap().to_string_lossy()),
        }
        assert!(
            largest <= allocation_budget(len),
            "{}: allocated {largest} bytes at once",
            p.display()
        );
    }
    // None of them left a library unusable (burn's RNG lock, for one).
    read_any(&repo().join("models/lj13.wjm")).unwrap();
    read_any(&repo().join("models/dynamics-double-well.wjd")).unwrap();
}

/// Writes the small model seeds of `tests/data/fuzz_seeds/` and the regression inputs
/// of `tests/data/fuzz/` (run by hand with
/// `cargo test --release --test fuzz_readers -- --ignored`, then commit them; the
/// model files differ every time in burn's random parameter ids).
#[test]
#[ignore]
fn write_seeds_and_regression_inputs() {
    let seeds = repo().join("tests/data/fuzz_seeds");
    std::fs::write(seeds.join("tiny.wjm"), make_tiny_model()).unwrap();
    std::fs::write(seeds.join("tiny.wjd"), make_tiny_dynamics()).unwrap();
    let dir = repo().join("tests/data/fuzz");
    std::fs::create_dir_all(&dir).unwrap();
    let put = |name: &str, bytes: &[u8]| std::fs::write(dir.join(name), bytes).unwrap();

    // DCD: an atom count of 10^9 made the reader allocate 24 GB for the first frame.
    let dcd = dcd_seeds().remove(0);
    let natoms = dcd.fields[9];
    let mut b = dcd.bytes.clone();
    write_int(&mut b, natoms, 1_000_000_000);
    put("dcd_natoms_1e9.dcd", &b);
    let mut b = dcd.bytes.clone();
    write_int(&mut b, natoms, 0x7fff_ffff);
    b.truncate(natoms.offset + 8 + 300);
    put("dcd_natoms_i32max.dcd", &b);

    // XTC, through molly: two different atom counts in a header (molly asserts), an
    // out-of-table smallidx (index panic), a byte count shorter than the atoms need
    // (reads past its buffer), a 4 GiB byte count (molly allocates it), 10^9 atoms in
    // the 2023 layout.
    let x = xtc_seeds().remove(0).bytes;
    let one = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut b = x.clone();
        f(&mut b);
        b
    };
    let field =
        |b: &mut Vec<u8>, at: usize, v: u32| b[at..at + 4].copy_from_slice(&v.to_be_bytes());
    put("xtc_natoms_mismatch.xtc", &one(&|b| field(b, 52, 23)));
    put("xtc_smallidx_0.xtc", &one(&|b| field(b, 84, 0)));
    put("xtc_smallidx_200.xtc", &one(&|b| field(b, 84, 200)));
    put(
        "xtc_nbytes_short.xtc",
        &one(&|b| {
            let n = u32::from_be_bytes(b[88..92].try_into().unwrap());
            field(b, 88, n / 4)
        }),
    );
    put("xtc_nbytes_4gib.xtc", &one(&|b| field(b, 88, u32::MAX)));
    put(
        "xtc_natoms_1e9_2023.xtc",
        &one(&|b| {
            field(b, 0, 2023);
            field(b, 4, 1_000_000_000);
            field(b, 52, 1_000_000_000);
        }),
    );
    put(
        "xtc_minmax_inverted.xtc",
        &one(&|b| {
            field(b, 60, i32::MAX as u32);
            field(b, 72, i32::MIN as u32);
        }),
    );

    // Model files whose header describes a huge network over intact weights (the
    // checksum covers only the weights): building it asked for terabytes.
    let retitle = |bytes: &[u8], magic_len: usize, edit: &dyn Fn(&mut serde_json::Value)| {
        let n = u64::from_le_bytes(bytes[magic_len..magic_len + 8].try_into().unwrap()) as usize;
        let mut header: serde_json::Value =
            serde_json::from_slice(&bytes[magic_len + 8..magic_len + 8 + n]).unwrap();
        edit(&mut header);
        let json = serde_json::to_vec(&header).unwrap();
        let mut out = bytes[..magic_len].to_vec();
        out.extend_from_slice(&(json.len() as u64).to_le_bytes());
        out.extend_from_slice(&json);
        out.extend_from_slice(&bytes[magic_len + 8 + n..]);
        out
    };
    let m = seed_file("tiny.wjm");
    // A zero width gives burn's initialiser an infinite range: it panicked while
    // holding ndarray's global RNG lock, and every CPU model after it failed to build.
    put(
        "wjm_hidden_0.wjm",
        &retitle(&m, WJM_MAGIC, &|h| h["meta"]["net"]["hidden"] = 0.into()),
    );
    put(
        "wjm_hidden_1e6.wjm",
        &retitle(&m, WJM_MAGIC, &|h| {
            h["meta"]["net"]["hidden"] = 1_000_000.into()
        }),
    );
    put(
        "wjm_radial_bases_1e12.wjm",
        &retitle(&m, WJM_MAGIC, &|h| {
            h["meta"]["net"]["radial_bases"] = 1_000_000_000_000u64.into()
        }),
    );
    let mut b = m.clone();
    b[WJM_MAGIC..WJM_MAGIC + 8].copy_from_slice(&u64::MAX.to_le_bytes());
    put("wjm_header_len_max.wjm", &b);
    let d = seed_file("tiny.wjd");
    put(
        "wjd_frames_0.wjd",
        &retitle(&d, WJD_MAGIC, &|h| h["meta"]["frames"] = 0.into()),
    );
    put(
        "wjd_frames_1e9.wjd",
        &retitle(&d, WJD_MAGIC, &|h| {
            h["meta"]["frames"] = 1_000_000_000.into()
        }),
    );
    put(
        "wjd_hidden_usize_max.wjd",
        &retitle(&d, WJD_MAGIC, &|h| h["meta"]["hidden"] = u64::MAX.into()),
    );

    // A sidecar with zero chains: `analyze` split frames by frame % chains.
    let s = String::from_utf8(sidecar_seed().bytes).unwrap();
    put(
        "zero_chains.dcd.json",
        s.replace("\"chains\": 4", "\"chains\": 0").as_bytes(),
    );
}
