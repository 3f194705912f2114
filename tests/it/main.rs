//! One integration binary; each module drives the real `mirrorctl` binary against servers on loopback.

mod probe;
mod support;
