//! This machine: who we are and what runs here (host, cloud), its files (atomic writes and backups, the trust
//! rule for root's paths, the lock), its init system and the live daemon's API. Imports only `ui`.

pub mod cloud;
pub mod desktop;
pub mod engine;
pub mod files;
pub mod host;
pub mod lock;
pub mod service;
pub mod sockets;
pub mod state;
pub mod textfile;
