//! The request pipeline and the listener that feeds it.
//!
//! Every request, for every service, takes the same path: route -> authenticate (SigV4) ->
//! authorize (the operation's declared action) -> handler -> response -> one durable audit
//! record, written before the response leaves.

mod authenticate;
mod listener;
mod pipeline;

pub use listener::{ConnectionLimits, ListenerConfig, serve};
pub use pipeline::{Pipeline, PipelineConfig};
