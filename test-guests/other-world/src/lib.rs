//! A valid component of another world (`wit/greeter.wit`), not a strategy: the host must
//! refuse it at load, saying that it does not export the `sandtrade:strategy` functions.

#[allow(missing_docs, reason = "generated code")]
mod bindings {
    wit_bindgen::generate!({ world: "greeter", path: "wit" });
}

struct Greeter;

impl bindings::Guest for Greeter {
    fn greet(name: String) -> String {
        format!("hello, {name}")
    }
}

bindings::export!(Greeter with_types_in bindings);
