//! The team cache: Debian's docker-registry (the CNCF distribution registry, 2.8) set up as a pull-through cache
//! in front of the best mirror (`setup`), watched (`status`, and `watch --cache` re-points it when its upstream
//! dies), and filled ahead of need (`warm`). The nodes then use it as their one mirror.

pub mod restore;
pub mod setup;
pub mod status;
pub mod warm;
