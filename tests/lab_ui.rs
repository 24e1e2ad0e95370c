//! The lab's tabs driven headlessly with egui_kittest: no window, no GPU. The tabs'
//! ui functions and the whole `Lab` draw into kittest's `Harness`; the tests click
//! and set controls through the accessibility tree and check both the tabs' state
//! and what the tree then shows. The real window is tested by the Xvfb screenshot
//! test in tests/gui.rs.
//!
//! The lab's egui half (`walkjump_app::lab::ui`, no bevy in it) is a plain library
//! module, so the tests drive it directly.

mod common;

use walkjump_app::lab::ui;

use bevy_egui::egui;
use egui::accesskit::{Action, ActionData, ActionRequest, Role, Toggled};
use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;
use std::time::{Duration, Instant};
use ui::diffusion::diffusion_ui;
use ui::dynamics::{dynamics_ui, DynamicsResults};
use ui::walk_jump::walk_jump_ui;
use ui::worker::{Polled, Worker};
use ui::{Lab, Tab};
use walkjump::lab::session::{LabSystem, PlanarLab, PlanarView};
use walkjump::sampler::JumpKind;

const SIZE: egui::Vec2 = egui::Vec2::new(1600.0, 900.0);

fn session() -> PlanarLab {
    PlanarLab::new(LabSystem::DoubleWell, 0.3, 64).unwrap()
}

fn lab_with(tab: Tab, tour: Option<usize>) -> Lab {
    Lab::new(
        session(),
        common::repo().join("models/dynamics-double-well.wjd"),
        tab,
        tour,
    )
}

fn harness(lab: Lab) -> Harness<'static, Lab> {
    Harness::builder()
        .with_size(SIZE)
        .build_ui_state(|ui, lab: &mut Lab| lab.ui(ui), lab)
}

/// Poll the lab (as the app does every frame) until `done`, then draw it again.
fn settle(h: &mut Harness<'_, Lab>, what: &str, secs: u64, done: impl Fn(&Lab) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        h.state_mut().poll();
        if done(h.state()) {
            break;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
    h.run();
}

/// Set a slider through accessibility, as a screen reader would.
fn set_slider(h: &mut Harness<'_, Lab>, label: &str, value: f64) {
    let (target_node, target_tree) = h
        .get_by_role_and_label(Role::Slider, label)
        .accesskit_node()
        .locate();
    h.event(egui::Event::AccessKitActionRequest(ActionRequest {
        action: Action::SetValue,
        target_node,
        target_tree,
        data: Some(ActionData::NumericValue(value)),
    }));
    h.run();
}

fn slider_value(h: &Harness<'_, Lab>, label: &str) -> f64 {
    h.get_by_role_and_label(Role::Slider, label)
        .accesskit_node()
        .numeric_value()
        .unwrap()
}

fn is_disabled(h: &Harness<'_, Lab>, label: &str) -> bool {
    h.get_by_label(label).accesskit_node().is_disabled()
}

fn is_selected(h: &Harness<'_, Lab>, label: &str) -> bool {
    h.get_by_label(label).accesskit_node().toggled() == Some(Toggled::True)
}

fn last_log(lab: &Lab) -> String {
    lab.shared
        .log
        .last()
        .map(|l| l.0.clone())
        .unwrap_or_default()
}

/// A view after some sampling, for the plain ui functions.
fn sampled_view(jump: JumpKind) -> PlanarView {
    let mut lab = session();
    lab.set_dynamics(1.0, 0.3, jump).unwrap();
    lab.advance(Duration::from_millis(300)).unwrap();
    lab.view()
}

#[test]
fn walk_jump_ui_shows_the_laws_the_walk_and_their_tvds() {
    let view = sampled_view(JumpKind::Mean);
    assert!(view.wj_samples > 0 && view.diffusion_samples > 0);
    let h = Harness::builder()
        .with_size(egui::Vec2::new(1300.0, 860.0))
        .build_ui(|ui| walk_jump_ui(ui, &view));
    // The plots are painted; their titles reach the accessibility tree as images.
    for title in [
        "p_X and the latest jumps (orange)".to_string(),
        "p_Y at σ = 0.30, score field, y-walk (white)".to_string(),
        "exact law of the mean jump E[x|Y], Y ~ p_Y".to_string(),
        format!(
            "jumps so far: TVD {:.3} to their law, {:.3} to p_X",
            view.tvd_jumps_vs_target, view.tvd_jumps_vs_p_x
        ),
        format!("y-walk so far: TVD {:.3} to p_Y", view.tvd_walk_vs_p_y),
    ] {
        assert_eq!(h.get_by_label(&title).accesskit_node().role(), Role::Image);
    }
    h.get_by_label(&format!("{} samples from 64 chains", view.wj_samples));
    h.get_by_label("denoiser: exact, by quadrature");
    h.get_by_label("double well (double-well)");
    // Mean jumps are sharper than p_X: their TVD to their own law is the smaller.
    assert!(view.tvd_jumps_vs_target < view.tvd_jumps_vs_p_x, "{view:?}");

    // With posterior draws the third panel is p_X itself.
    let view = sampled_view(JumpKind::Sample);
    let h = Harness::builder()
        .with_size(egui::Vec2::new(1300.0, 860.0))
        .build_ui(|ui| walk_jump_ui(ui, &view));
    h.get_by_label("posterior draws should follow p_X");
    assert!(h
        .query_by_label("exact law of the mean jump E[x|Y], Y ~ p_Y")
        .is_none());
}

#[test]
fn diffusion_ui_compares_cost_and_accuracy() {
    let view = sampled_view(JumpKind::Mean);
    let h = Harness::builder()
        .with_size(egui::Vec2::new(1300.0, 860.0))
        .build_ui(|ui| diffusion_ui(ui, &view));
    h.get_by_label("exact p_X");
    h.get_by_label(&format!(
        "reverse diffusion: TVD {:.3} to p_X",
        view.tvd_diffusion_vs_p_x
    ));
    h.get_by_label(&format!(
        "walk-jump jumps: TVD {:.3} to p_X",
        view.tvd_jumps_vs_p_x
    ));
    for header in [
        "samples",
        "samples/s",
        "denoiser calls per sample",
        "TVD to p_X",
    ] {
        h.get_by_label(header);
    }
    h.get_by_label("reverse diffusion");
    h.get_by_label("walk-jump");
    // 60 noise levels: 60 denoiser calls per diffusion sample against walk-jump's 1.
    assert_eq!(view.diffusion_steps, 60);
    h.get_by_label("60");
    h.get_by_label(&view.diffusion_samples.to_string());
    h.get_by_label(&view.wj_samples.to_string());
}

#[test]
fn dynamics_ui_draws_without_results() {
    let results = DynamicsResults::default();
    let h = Harness::builder()
        .with_size(egui::Vec2::new(1300.0, 860.0))
        .build_ui(|ui| dynamics_ui(ui, &results));
    h.get_by_label_contains("paths over the simulated density");
}

#[test]
fn the_tab_bar_switches_tabs() {
    let mut h = harness(lab_with(Tab::WalkJump, None));
    assert!(is_selected(&h, "Walk-jump, exactly"));
    h.get_by_label_contains("y-walk so far");
    assert!(h.query_by_label("denoiser calls per sample").is_none());

    h.get_by_label("Diffusion beside walk-jump").click();
    h.run();
    assert_eq!(h.state().shared.tab, Tab::Diffusion);
    assert!(is_selected(&h, "Diffusion beside walk-jump"));
    h.get_by_label("denoiser calls per sample");
    assert!(h.query_by_label_contains("y-walk so far").is_none());

    h.get_by_role_and_label(Role::Button, "Trajectory diffusion")
        .click();
    h.run();
    assert_eq!(h.state().shared.tab, Tab::Dynamics);
    h.get_by_label_contains("paths over the simulated density");
    // Every tab's controls stay on the left whichever tab is open.
    h.get_by_role_and_label(Role::Slider, "σ noise");
    h.get_by_role_and_label(Role::Slider, "noise levels per sample");
    h.get_by_role_and_label(Role::Slider, "k_BT");
}

#[test]
fn sigma_reaches_the_session_when_set() {
    let mut h = harness(lab_with(Tab::WalkJump, None));
    assert_eq!(slider_value(&h, "σ noise"), 0.3);
    h.get_by_label("Train learned denoiser at σ = 0.30");

    set_slider(&mut h, "σ noise", 0.6);
    let wj = &h.state().walk_jump;
    assert_eq!((wj.sigma, wj.applied_sigma(), wj.dt), (0.6, 0.6, 0.6));
    // The session thread rebuilds the exact laws; the next view shows them.
    settle(&mut h, "σ = 0.6 in the session", 60, |lab| {
        lab.shared.session.view().params.sigma == 0.6
    });
    assert_eq!(h.state().shared.session.view().params.dt, 0.6);
    assert_eq!(slider_value(&h, "Δt step"), 0.6);
    h.get_by_label("p_Y at σ = 0.60, score field, y-walk (white)");
    h.get_by_label("Train learned denoiser at σ = 0.60");
    // And it samples there.
    settle(&mut h, "samples at σ = 0.6", 60, |lab| {
        lab.shared.session.view().wj_samples > 0
    });
}

#[test]
fn jump_kind_pause_and_defaults() {
    let mut h = harness(lab_with(Tab::WalkJump, None));
    assert!(is_selected(&h, "mean E[x|y]"));
    h.get_by_label("posterior draw").click();
    h.run();
    assert!(h.state().walk_jump.sample_jumps);
    settle(&mut h, "posterior-draw jumps", 60, |lab| {
        lab.shared.session.view().params.jump == JumpKind::Sample
    });
    assert!(is_selected(&h, "posterior draw"));
    assert!(!is_selected(&h, "mean E[x|y]"));
    h.get_by_label("posterior draws should follow p_X");

    set_slider(&mut h, "γ friction", 3.0);
    settle(&mut h, "γ = 3", 60, |lab| {
        lab.shared.session.view().params.gamma == 3.0
    });

    // Pause: the session stops sampling (the counts stay put) until Run.
    h.get_by_label("⏸ Pause").click();
    h.run();
    assert!(!h.state().shared.session.running());
    std::thread::sleep(Duration::from_millis(300));
    h.state_mut().poll();
    let before = h.state().shared.session.view().wj_samples;
    std::thread::sleep(Duration::from_millis(300));
    h.state_mut().poll();
    assert_eq!(h.state().shared.session.view().wj_samples, before);
    h.run();
    h.get_by_label("▶ Run").click();
    h.run();
    assert!(h.state().shared.session.running());
    settle(&mut h, "sampling again", 60, |lab| {
        lab.shared.session.view().wj_samples > before
    });

    // Defaults: γ = 1, Δt = σ, mean jumps, in the sliders and in the session.
    h.get_by_label("Defaults").click();
    h.run();
    let wj = &h.state().walk_jump;
    assert_eq!((wj.gamma, wj.dt, wj.sample_jumps), (1.0, 0.3, false));
    settle(&mut h, "the defaults", 60, |lab| {
        let p = lab.shared.session.view().params;
        (p.gamma, p.dt, p.jump) == (1.0, 0.3, JumpKind::Mean)
    });
    assert_eq!(slider_value(&h, "γ friction"), 1.0);
    assert!(is_selected(&h, "mean E[x|y]"));
}

#[test]
fn a_new_density_keeps_the_walk_settings() {
    let mut h = harness(lab_with(Tab::WalkJump, None));
    set_slider(&mut h, "γ friction", 2.0);
    h.get_by_role(Role::ComboBox).click();
    h.run();
    h.get_by_label("Müller–Brown").click();
    h.run();
    settle(&mut h, "the Müller–Brown density", 60, |lab| {
        lab.shared.session.view().kind == LabSystem::MullerBrown
    });
    let view = h.state().shared.session.view();
    assert_eq!((view.params.sigma, view.params.gamma), (0.3, 2.0));
    assert_eq!(view.chains, 64);
    h.get_by_label_contains("Müller–Brown (");
    assert_eq!(slider_value(&h, "γ friction"), 2.0);
}

#[test]
fn the_tour_steps_set_the_lab_up() {
    let mut h = harness(lab_with(Tab::WalkJump, Some(0)));
    h.get_by_label("1. The target and its blurred twin");
    h.get_by_label("1/6");
    assert!(is_disabled(&h, "◀ Back"));

    h.get_by_label("Next ▶").click();
    h.run();
    assert_eq!(h.state().tour, Some(1));
    h.get_by_label("2. The walk");
    h.get_by_label("2/6");
    assert!(!is_disabled(&h, "◀ Back"));

    // Step 4 turns σ up to 1.0, in the slider and in the session.
    for _ in 0..2 {
        h.get_by_label("Next ▶").click();
        h.run();
    }
    h.get_by_label("4. Turn σ up");
    assert_eq!(h.state().walk_jump.sigma, 1.0);
    assert_eq!(h.state().shared.tab, Tab::WalkJump);
    settle(&mut h, "σ = 1 in the session", 60, |lab| {
        lab.shared.session.view().params.sigma == 1.0
    });
    assert_eq!(slider_value(&h, "σ noise"), 1.0);

    // Step 5 opens the diffusion tab at σ = 0.3; step 6 the trajectory tab.
    h.get_by_label("Next ▶").click();
    h.run();
    assert_eq!(h.state().shared.tab, Tab::Diffusion);
    assert_eq!(h.state().walk_jump.sigma, 0.3);
    h.get_by_label("denoiser calls per sample");
    h.get_by_label("Next ▶").click();
    h.run();
    assert_eq!(h.state().shared.tab, Tab::Dynamics);
    assert!(h.query_by_label("Next ▶").is_none());
    h.get_by_label("◀ Back").click();
    h.run();
    assert_eq!(h.state().tour, Some(4));

    h.get_by_label("Close").click();
    h.run();
    assert_eq!(h.state().tour, None);
    assert!(
        h.query_by_label("Guided tour").is_some(),
        "the button stays"
    );
    assert!(h.query_by_label_contains("5. Diffusion").is_none());
    // The button opens it again, at the start.
    h.get_by_label("Guided tour").click();
    h.run();
    assert_eq!(h.state().tour, Some(0));
    h.get_by_label("1/6");
}

#[test]
fn training_a_learned_denoiser_on_a_worker() {
    let mut h = harness(lab_with(Tab::WalkJump, None));
    assert!(is_disabled(&h, "learned MLP"), "nothing trained yet");
    // Give the training the CPU.
    h.get_by_label("⏸ Pause").click();
    h.run();
    h.get_by_label("Train learned denoiser at σ = 0.30").click();
    h.run();
    assert!(h.state().walk_jump.is_training());
    h.get_by_role(Role::ProgressIndicator);
    assert!(h
        .query_by_label("Train learned denoiser at σ = 0.30")
        .is_none());
    assert!(last_log(h.state()).starts_with("training a learned denoiser at σ = 0.30"));

    settle(&mut h, "training", 300, |lab| !lab.walk_jump.is_training());
    let said = last_log(h.state());
    assert!(said.starts_with("learned denoiser trained in"), "{said}");
    settle(&mut h, "the learned denoiser in the session", 60, |lab| {
        lab.shared.session.view().using_learned
    });
    assert_eq!(h.state().shared.session.view().learned_sigma, Some(0.3));
    assert!(!is_disabled(&h, "learned MLP"));
    assert!(is_selected(&h, "learned MLP"));
    assert!(!is_selected(&h, "exact (quadrature)"));
    // Posterior draws need the exact posterior.
    assert!(is_disabled(&h, "posterior draw"));
    h.get_by_label("Train learned denoiser at σ = 0.30");

    // Back to the exact denoiser, and the learned one can be chosen again.
    h.get_by_label("exact (quadrature)").click();
    h.run();
    settle(&mut h, "the exact denoiser", 60, |lab| {
        !lab.shared.session.view().using_learned
    });
    assert!(!is_disabled(&h, "posterior draw"));
    assert!(!is_disabled(&h, "learned MLP"));
}

#[test]
fn a_trajectory_job_that_fails_says_so() {
    let mut lab = lab_with(Tab::Dynamics, None);
    lab.dynamics.model = std::path::PathBuf::from("/nonexistent/model.wjd");
    let mut h = harness(lab);
    h.get_by_label("nothing generated yet");
    h.get_by_label("Generate trajectories").click();
    h.run();
    assert!(!h.state().dynamics.is_busy(), "queued, started by poll");
    h.state_mut().poll();
    assert!(h.state().dynamics.is_busy());
    h.run();
    h.get_by_label("generating trajectories …");
    // While a job runs, no more can be queued.
    assert!(is_disabled(&h, "Generate trajectories"));
    assert!(is_disabled(&h, "Inpaint: left well to right well"));

    settle(&mut h, "the job to fail", 60, |lab| !lab.dynamics.is_busy());
    h.get_by_label("failed (see log)");
    assert!(last_log(h.state()).starts_with("trajectory model:"));
    assert!(!is_disabled(&h, "Generate trajectories"));
    h.get_by_label_contains("trajectory model:");
}

#[test]
fn workers_report_their_messages_then_their_end() {
    let job: Worker<(), u32> = Worker::job("test", |out| {
        for k in 0..3 {
            out.send(k).unwrap();
        }
    });
    let mut seen = vec![];
    let deadline = Instant::now() + Duration::from_secs(10);
    'wait: loop {
        for p in job.poll() {
            match p {
                Polled::Message(k) => seen.push(k),
                Polled::Ended => break 'wait,
            }
        }
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(seen, [0, 1, 2]);
    assert!(
        matches!(job.poll().next(), Some(Polled::Ended)),
        "and says so again"
    );

    // A job that dies without a word still ends.
    let job: Worker<(), u32> = Worker::job("panics", |_| panic!("on purpose"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !job.poll().any(|p| matches!(p, Polled::Ended)) {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(5));
    }

    // A loop answers commands, and stops when its owner drops it.
    let (stopped_tx, stopped_rx) = crossbeam::channel::bounded(1);
    let echo: Worker<u32, u32> = Worker::spawn("echo", move |commands, out| {
        for c in commands.iter() {
            let _ = out.send(c * 2);
        }
        stopped_tx.send(()).unwrap();
    });
    assert!(echo.send(21));
    let deadline = Instant::now() + Duration::from_secs(10);
    let answer = loop {
        if let Some(Polled::Message(m)) = echo.poll().next() {
            break m;
        }
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(5));
    };
    assert_eq!(answer, 42);
    drop(echo);
    stopped_rx.recv_timeout(Duration::from_secs(10)).unwrap();
}

#[test]
fn test_only_flags_stay_out_of_the_help() {
    let o = common::walkjump(&["lab", "--help"]);
    assert!(o.status.success());
    let help = common::stdout(&o);
    for shown in [
        "--system",
        "--sigma",
        "--tab",
        "--tour-step",
        "--no-tour",
        "--size",
    ] {
        assert!(help.contains(shown), "{shown} missing from: {help}");
    }
    for hidden in [
        "--screenshot",
        "--exit-after",
        "--train-learned",
        "--run-dynamics",
    ] {
        assert!(!help.contains(hidden), "{hidden} shown in: {help}");
    }
    // Hidden, not gone.
    let o = common::walkjump(&["lab", "--no-such-flag"]);
    assert!(!o.status.success());
    let o = common::walkjump(&["lab", "--tab", "nowhere", "--exit-after", "1"]);
    assert!(!o.status.success());
    assert!(!common::stderr(&o).contains("unexpected argument"));
}
