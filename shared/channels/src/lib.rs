//! Channels: the platforms' webhooks (handshakes, signatures over raw bytes, parsing into domain
//! post changes) and the outbound requests that deliver replies. Depends on the domain only;
//! no AWS. Every parser takes untrusted bytes and must never panic.

pub mod alerts;
pub mod fetch_meta;
pub mod generic;
pub mod send;

pub mod accounts;
pub mod meta;
pub mod meta_deletion;
pub mod parsed;
pub mod platforms;
pub mod referral;
pub mod retry;
pub mod send_meta;
pub mod send_x;
pub mod signature;
pub mod x;
