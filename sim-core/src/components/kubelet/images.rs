//! Image pulls (`pkg/kubelet/images`): a present image is used unless the
//! pull policy is `Always`; pulls are serialized through the runtime's queue
//! and take the profile's size over the node's bandwidth; a missing image, a
//! registry outage or a private image without credentials fails with the
//! real messages and `ErrImagePull`, then `ImagePullBackOff` (10 s doubling
//! to 300 s).

use super::containers::{INITIAL_BACKOFF, MAX_BACKOFF};
use super::pod_worker::CState;
use super::registry;
use super::runtime::PullJob;
use super::{Kubelet, Timer};
use crate::components::Ctx;
use crate::config::ImageCatalog;
use crate::time::SimDuration;

impl Kubelet {
    pub(super) fn ensure_image(&mut self, ctx: &mut Ctx<'_>, uid: &str, idx: usize) {
        let Some((pod, path, image, policy)) = self.container_ref(uid, idx) else {
            return;
        };
        let present = self.runtime.has_image(&image);
        if present && policy != "Always" {
            self.recorder.record_with_field_path(
                ctx,
                &pod,
                Some(path),
                "Normal",
                "Pulled",
                format!("Container image \"{image}\" already present on machine"),
            );
            self.create_container(ctx, uid, idx);
            return;
        }
        if !present && policy == "Never" {
            let msg =
                format!("Container image \"{image}\" is not present with pull policy of Never");
            self.recorder.record_with_field_path(
                ctx,
                &pod,
                Some(path),
                "Warning",
                "ErrImageNeverPull",
                msg.clone(),
            );
            if let Some(c) = self.workers.get_mut(uid).and_then(|w| w.ctrs.get_mut(idx)) {
                c.state = CState::Waiting {
                    reason: "ErrImageNeverPull",
                    message: Some(msg),
                };
            }
            self.post_status(ctx, uid);
            return;
        }
        let job = PullJob {
            pod_uid: uid.to_owned(),
            container: idx,
            image,
            requested_at: ctx.now(),
            started_at: ctx.now(),
        };
        if let Some(start) = self.runtime.enqueue(job, ctx.now()) {
            self.start_pull(ctx, start);
        }
    }

    pub(super) fn start_pull(&mut self, ctx: &mut Ctx<'_>, job: PullJob) {
        let catalog = &ctx.config().images;
        let mut duration = self.runtime.pull_duration(catalog, &job.image);
        if self.runtime.has_image(&job.image) || self.pull_denied(catalog, &job) {
            // An Always pull of a cached image only resolves the digest; a
            // pull without credentials fails there.
            duration = SimDuration::from_millis(400);
        }
        if let Some((pod, path, image, _)) = self.container_ref(&job.pod_uid, job.container) {
            self.recorder.record_with_field_path(
                ctx,
                &pod,
                Some(path),
                "Normal",
                "Pulling",
                format!("Pulling image \"{image}\""),
            );
        }
        ctx.trace("pull-image", job.image.clone(), format!("{}", duration));
        self.timer(ctx, duration, Timer::PullDone);
    }

    pub(super) fn pull_done(&mut self, ctx: &mut Ctx<'_>) {
        let current_missing = self
            .runtime
            .current()
            .is_some_and(|j| ctx.config().images.lookup(&j.image).missing);
        let registry_down = !ctx.registry_available();
        let denied = !current_missing
            && self
                .runtime
                .current()
                .is_some_and(|j| self.pull_denied(&ctx.config().images, j));
        let (done, next) = self.runtime.finish(
            &ctx.config().images,
            !current_missing && !registry_down && !denied,
            ctx.now(),
        );
        if let Some(job) = done {
            let waited = ctx.now().saturating_since(job.requested_at);
            let took = ctx.now().saturating_since(job.started_at);
            if let Some((pod, path, image, _)) = self.container_ref(&job.pod_uid, job.container) {
                if current_missing || registry_down || denied {
                    let msg = if current_missing {
                        format!("Failed to pull image \"{image}\": rpc error: code = NotFound desc = failed to pull and unpack image \"{image}\": not found")
                    } else if denied && !registry_down {
                        let full = registry::full_reference(&image);
                        format!("Failed to pull image \"{image}\": rpc error: code = Unknown desc = failed to pull and unpack image \"{full}\": failed to resolve reference \"{full}\": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed")
                    } else {
                        format!("Failed to pull image \"{image}\": rpc error: code = Unavailable desc = failed to pull and unpack image \"{image}\": failed to resolve reference \"{image}\": dial tcp: lookup registry: i/o timeout")
                    };
                    self.recorder.record_with_field_path(
                        ctx,
                        &pod,
                        Some(path.clone()),
                        "Warning",
                        "Failed",
                        msg.clone(),
                    );
                    self.recorder.record_with_field_path(
                        ctx,
                        &pod,
                        Some(path),
                        "Warning",
                        "Failed",
                        "Error: ErrImagePull".into(),
                    );
                    let uid = job.pod_uid.clone();
                    let idx = job.container;
                    let mut retry = None;
                    if let Some(c) = self.workers.get_mut(&uid).and_then(|w| w.ctrs.get_mut(idx)) {
                        c.state = CState::Waiting {
                            reason: "ErrImagePull",
                            message: Some(msg),
                        };
                        c.pull_backoff = if c.pull_backoff == SimDuration::ZERO {
                            INITIAL_BACKOFF
                        } else {
                            (c.pull_backoff.saturating_mul(2)).min(MAX_BACKOFF)
                        };
                        retry = Some(c.pull_backoff);
                    }
                    self.post_status(ctx, &uid);
                    if let Some(delay) = retry {
                        self.timer(
                            ctx,
                            SimDuration::from_millis(1),
                            Timer::PullBackOff(uid.clone()),
                        );
                        self.timer(ctx, delay, Timer::RetryPull { uid, idx });
                    }
                } else {
                    let size = ctx.config().images.lookup(&image).size_bytes;
                    let msg = format!(
                        "Successfully pulled image \"{image}\" in {} ({} including waiting). Image size: {size} bytes.",
                        short(took),
                        short(waited)
                    );
                    self.recorder.record_with_field_path(
                        ctx,
                        &pod,
                        Some(path),
                        "Normal",
                        "Pulled",
                        msg,
                    );
                    self.create_container(ctx, &job.pod_uid, job.container);
                }
            }
        }
        if let Some(next) = next {
            self.start_pull(ctx, next);
        }
    }

    /// True when `job` pulls a private image without credentials for its
    /// registry among the pod's `imagePullSecrets`.
    pub(super) fn pull_denied(&self, catalog: &ImageCatalog, job: &PullJob) -> bool {
        catalog.lookup(&job.image).private
            && !self
                .workers
                .get(&job.pod_uid)
                .and_then(|w| w.pod.as_pod())
                .is_some_and(|p| {
                    registry::has_credentials(p, &job.image, |ns, n| self.cache.secret(ns, n))
                })
    }

    /// ErrImagePull turns into ImagePullBackOff while the back-off runs.
    pub(super) fn pull_back_off(&mut self, ctx: &mut Ctx<'_>, uid: &str) {
        let mut changed = false;
        if let Some(w) = self.workers.get_mut(uid) {
            for c in &mut w.ctrs {
                if matches!(
                    c.state,
                    CState::Waiting {
                        reason: "ErrImagePull",
                        ..
                    }
                ) {
                    let msg = format!("Back-off pulling image \"{}\"", c.image);
                    c.state = CState::Waiting {
                        reason: "ImagePullBackOff",
                        message: Some(msg),
                    };
                    changed = true;
                }
            }
        }
        if changed {
            self.post_status(ctx, uid);
        }
    }
}

/// A duration as Go prints `time.Duration` rounded to milliseconds (pull messages).
fn short(d: SimDuration) -> String {
    SimDuration::from_millis(d.as_millis()).to_string()
}
