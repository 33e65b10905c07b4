//! Admin HTTP endpoints. This module takes what it serves as values or traits
//! (an inbox sink for webhooks) and imports no engine.

pub mod webhooks;
