//! The container runtime model of one node: the image cache and the pull queue.
//!
//! Pulls are serialized per node (kubelet `serializeImagePulls: true`, the
//! default): a pull waits for the one before it. A pull takes the image
//! profile's fixed time, or size / node bandwidth.

use std::collections::{BTreeMap, VecDeque};

use crate::config::{normalized_image, ImageCatalog};
use crate::time::{SimDuration, SimTime};

/// A pull waiting or in progress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PullJob {
    /// The pod uid that asked.
    pub pod_uid: String,
    /// The container index in the pod's (init containers, then containers) order.
    pub container: usize,
    /// The image reference.
    pub image: String,
    /// When the kubelet asked for the pull.
    pub requested_at: SimTime,
    /// When the pull started (after the pulls queued before it).
    pub started_at: SimTime,
}

/// Images present on the node and the pulls queued.
#[derive(Debug, Default)]
pub(crate) struct Runtime {
    images: BTreeMap<String, u64>,
    /// Bumped whenever an image is added to the cache.
    images_generation: u64,
    queue: VecDeque<PullJob>,
    current: Option<PullJob>,
    bandwidth_bytes_per_sec: u64,
}

impl Runtime {
    /// A runtime with the given images pre-pulled.
    pub(crate) fn new(
        bandwidth_bytes_per_sec: u64,
        preloaded: impl IntoIterator<Item = (String, u64)>,
    ) -> Self {
        Self {
            images: preloaded
                .into_iter()
                .map(|(i, s)| (normalized_image(&i), s))
                .collect(),
            images_generation: 0,
            queue: VecDeque::new(),
            current: None,
            bandwidth_bytes_per_sec: bandwidth_bytes_per_sec.max(1),
        }
    }

    /// A number that changes whenever the image cache does.
    pub(crate) fn images_generation(&self) -> u64 {
        self.images_generation
    }

    /// True when the image is in the node's cache.
    pub(crate) fn has_image(&self, image: &str) -> bool {
        self.images.contains_key(&normalized_image(image))
    }

    /// The cached images with their sizes, for `status.images`.
    pub(crate) fn images(&self) -> &BTreeMap<String, u64> {
        &self.images
    }

    /// The pull in progress.
    pub(crate) fn current(&self) -> Option<&PullJob> {
        self.current.as_ref()
    }

    /// Queues a pull; returns the job to start now if the puller was idle.
    pub(crate) fn enqueue(&mut self, job: PullJob, now: SimTime) -> Option<PullJob> {
        self.queue.push_back(job);
        self.start_next(now)
    }

    /// Finishes the current pull (adding the image when it succeeded) and
    /// returns it with the next job to start.
    pub(crate) fn finish(
        &mut self,
        catalog: &ImageCatalog,
        ok: bool,
        now: SimTime,
    ) -> (Option<PullJob>, Option<PullJob>) {
        let done = self.current.take();
        if let (Some(job), true) = (&done, ok) {
            let size = catalog.lookup(&job.image).size_bytes;
            if self.images.insert(normalized_image(&job.image), size) != Some(size) {
                self.images_generation += 1;
            }
        }
        (done, self.start_next(now))
    }

    /// Forgets the pull in progress and the queued ones (the kubelet
    /// restarted: its pull requests are gone with it).
    pub(crate) fn reset_pulls(&mut self) {
        self.queue.clear();
        self.current = None;
    }

    /// Drops queued pulls of a pod (it was deleted).
    pub(crate) fn forget_pod(&mut self, pod_uid: &str) {
        self.queue.retain(|j| j.pod_uid != pod_uid);
    }

    /// How long pulling `image` takes.
    pub(crate) fn pull_duration(&self, catalog: &ImageCatalog, image: &str) -> SimDuration {
        let profile = catalog.lookup(image);
        profile.pull_duration.unwrap_or_else(|| {
            let nanos = u128::from(profile.size_bytes) * 1_000_000_000
                / u128::from(self.bandwidth_bytes_per_sec);
            SimDuration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
        })
    }

    fn start_next(&mut self, now: SimTime) -> Option<PullJob> {
        if self.current.is_some() {
            return None;
        }
        self.current = self.queue.pop_front().map(|mut j| {
            j.started_at = now;
            j
        });
        self.current.clone()
    }
}
