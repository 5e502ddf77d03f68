//! HTTP handlers, one file per resource, named `resource_verb`.

pub mod bounds;
pub mod datasets;
pub mod events;
pub mod experiments;
pub mod health;
pub mod predict;
pub mod studies;
