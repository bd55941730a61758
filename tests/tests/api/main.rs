//! The REST API over real HTTP on 127.0.0.1, against a live host trading through tws-sim:
//! the `/api/ibkr` endpoints users already script against (protective stops included), what
//! lies beyond them, auth scopes, bad input, the OpenAPI document and 100 concurrent clients; `sandtrade run`'s API;
//! the limits on what one client may cost (timeouts, body size, event streams).

mod beyond;
mod bracket;
mod host;
mod ibkr_rest;
mod input;
mod limits;
mod load;
mod openapi;
mod protective;
mod rig;
mod scopes;
