//! One integration binary; each module drives the real `mirrorctl` binary against servers on loopback.

mod ansible;
mod apply;
mod cache;
mod catalogue_update;
mod cli;
mod concurrency;
mod dockerd_starts;
mod doctor;
mod hardening;
mod history;
mod install;
mod k3s;
mod layout;
mod probe;
mod probe_proxy;
mod proxy;
mod readme;
mod release;
mod restore;
mod screens;
mod show;
mod snapshots;
mod support;
mod targets;
mod trust;
mod watch;
