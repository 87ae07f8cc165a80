//! The command line of the `hookyard` binary. Every option can also come from its
//! `HOOKYARD_*` (or `DATABASE_URL`) environment variable; a flag wins over the variable.

use std::net::SocketAddr;

use clap::{Args, Parser, Subcommand, ValueEnum};

use hookyard_core::store::DEFAULT_DATABASE_URL;

/// Hookyard: a self-hosted webhook inbox, relay and dashboard.
///
/// Providers POST signed events to /hooks/{source}; Hookyard verifies, stores and delivers
/// them to your handler endpoints, retries failures, and shows it all in a dashboard.
#[derive(Debug, Parser)]
#[command(name = "hookyard", version, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Database: sqlite://PATH (created if missing; relative to the working directory) or
    /// postgres://USER:PASSWORD@HOST:PORT/DB.
    #[arg(long, global = true, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,

    /// Log filter, in tracing's EnvFilter syntax (e.g. `info`, `hookyard=debug,info`).
    #[arg(long, global = true, env = "HOOKYARD_LOG", default_value = "info")]
    pub log: String,

    /// Log format: human-readable text, or one JSON object per line.
    #[arg(long, global = true, env = "HOOKYARD_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// How log lines are written to standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: the inbound hooks, the dashboard and the API (migrates first).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Manage inbound sources (the URLs providers POST to).
    #[command(subcommand)]
    Source(SourceCommand),
    /// Send a correctly signed sample event to a source, like `stripe trigger`.
    Send(SendArgs),
    /// Manage handler endpoints (where events are delivered).
    #[command(subcommand)]
    Endpoint(EndpointCommand),
    /// The payments table (a projection of stored payment events).
    #[command(subcommand)]
    Payments(PaymentsCommand),
    /// Replay failed (or retrying) deliveries in bulk, with the Failures page's filters;
    /// `--dry-run` only counts them. A running `hookyard serve` carries the replay out.
    Replay(ReplayArgs),
    /// Dashboard users (sign-in accounts with a role).
    #[command(subcommand)]
    User(UserCommand),
    /// API tokens for `Authorization: Bearer` on /api/v1.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Re-encrypt every signing secret under a new master key (stop `serve` first).
    ///
    /// The key in use comes from HOOKYARD_SECRET_KEY or, on SQLite without it, the key file
    /// beside the database (data/hookyard.key). The new key comes from --new-key-file or
    /// HOOKYARD_NEW_SECRET_KEY; with the key file and neither given, one is generated and the
    /// key file replaced. All secrets move in one transaction; running it again after an
    /// interruption finishes the job.
    RotateMasterKey(RotateMasterKeyArgs),
    /// Print a new random master key (base64) for HOOKYARD_SECRET_KEY.
    GenerateMasterKey,
    /// Print a new Standard Webhooks secret (`whsec_…`) for HOOKYARD_ALERT_SECRET.
    GenerateAlertSecret,
}

/// Options of `hookyard replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Only deliveries to this endpoint (`hookyard endpoint list` shows ids).
    #[arg(long)]
    pub endpoint: Option<i64>,
    /// Only events of this exact type.
    #[arg(long = "type")]
    pub event_type: Option<String>,
    /// Which deliveries: `failed` (attempts exhausted) or `retrying`.
    #[arg(long, default_value = "failed")]
    pub status: String,
    /// Events received since: `1h`, `24h`, `7d`, `30d`, or a date (YYYY-MM-DD, UTC).
    #[arg(long)]
    pub since: Option<String>,
    /// Events received before this date (YYYY-MM-DD, UTC).
    #[arg(long)]
    pub until: Option<String>,
    /// Count what would be replayed; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Roles, as PRODUCT.md defines them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// Overview, payments, events without payloads.
    Viewer,
    /// + payloads and headers.
    Developer,
    /// + retry, replay, pause and resume.
    Operator,
    /// + sources, endpoints, secrets, users, tokens, the audit log.
    Admin,
}

impl From<RoleArg> for hookyard_core::access::Role {
    fn from(role: RoleArg) -> Self {
        use hookyard_core::access::Role;
        match role {
            RoleArg::Viewer => Role::Viewer,
            RoleArg::Developer => Role::Developer,
            RoleArg::Operator => Role::Operator,
            RoleArg::Admin => Role::Admin,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user. The password is read from a prompt, or from the first line of standard
    /// input when it is not a terminal (never from a flag).
    Add(UserAddArgs),
    /// List users with their role and state.
    List,
    /// Change a user's role.
    SetRole(UserAddArgs),
    /// Stop a user from signing in (ends their sessions).
    Disable(UserArgs),
    /// Let a disabled user sign in again.
    Enable(UserArgs),
    /// Set a new password (prompt or standard input; ends the user's sessions).
    ResetPassword(UserArgs),
}

/// A user and a role.
#[derive(Debug, Args)]
pub struct UserAddArgs {
    #[arg(long)]
    pub email: String,
    #[arg(long, value_enum)]
    pub role: RoleArg,
}

/// A user chosen by email.
#[derive(Debug, Args)]
pub struct UserArgs {
    #[arg(long)]
    pub email: String,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token with a role; prints it once (only its hash is stored).
    Create(TokenCreateArgs),
    /// List tokens (never the tokens themselves).
    List,
    /// Revoke a token: requests with it are refused from now on.
    Revoke(TokenRevokeArgs),
}

#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    /// What the token is for, e.g. "deploy script".
    #[arg(long)]
    pub name: String,
    #[arg(long, value_enum)]
    pub role: RoleArg,
}

#[derive(Debug, Args)]
pub struct TokenRevokeArgs {
    /// The token's id (`hookyard token list` shows it).
    pub id: i64,
}

/// Options of `hookyard rotate-master-key`.
#[derive(Debug, Args)]
pub struct RotateMasterKeyArgs {
    /// A file holding the new master key (base64 or 64 hex digits). Otherwise the key is read
    /// from HOOKYARD_NEW_SECRET_KEY (never given as a flag value, so it stays out of shell
    /// history and process lists).
    #[arg(long)]
    pub new_key_file: Option<std::path::PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum PaymentsCommand {
    /// Rebuild the payments table from the stored events (safe while `serve` runs).
    Rebuild,
}

#[derive(Debug, Subcommand)]
pub enum EndpointCommand {
    /// Create an endpoint; prints its id and signing secret.
    Add(EndpointAddArgs),
    /// List endpoints with their state.
    List,
    /// Hold new deliveries until resumed.
    Pause(EndpointStateArgs),
    /// Release held deliveries, in order, and deliver again.
    Resume(EndpointStateArgs),
    /// Stop delivering (pending deliveries wait; new events get none).
    Disable(EndpointStateArgs),
    /// Deliver again after a disable.
    Enable(EndpointStateArgs),
    /// Replace the endpoint's signing secret; prints the new one.
    RotateSecret(EndpointStateArgs),
}

/// Options of `hookyard endpoint add`.
#[derive(Debug, Args)]
pub struct EndpointAddArgs {
    #[arg(long)]
    pub name: String,
    /// Where to POST events (http or https).
    #[arg(long)]
    pub url: String,
    /// Event types to deliver, comma-separated: `charge.succeeded`, `charge.*`, `*`.
    #[arg(long)]
    pub events: String,
    /// Only events from this source.
    #[arg(long)]
    pub source: Option<String>,
    /// Signing secret (whsec_ + base64); generated when omitted.
    #[arg(long)]
    pub secret: Option<String>,
    /// Seconds to wait for the handler's answer.
    #[arg(long, default_value_t = 15)]
    pub timeout_secs: u64,
    /// Deliveries in flight to this endpoint at once.
    #[arg(long, default_value_t = 10)]
    pub max_in_flight: i64,
    /// Extra header sent with every delivery, `Name: value` (repeatable).
    #[arg(long = "header")]
    pub headers: Vec<String>,
    /// Retry delays in seconds after each failed try, comma-separated (default 5,300,1800,7200,18000,36000,36000).
    #[arg(long)]
    pub retry_schedule: Option<String>,
    #[arg(long, default_value = "")]
    pub description: String,
}

/// An endpoint chosen by id, with an optional reason.
#[derive(Debug, Args)]
pub struct EndpointStateArgs {
    /// The endpoint's id (`hookyard endpoint list` shows it).
    pub id: i64,
    /// Why (shown in the dashboard and the audit log).
    #[arg(long, default_value = "")]
    pub reason: String,
}

#[derive(Debug, Subcommand)]
pub enum SourceCommand {
    /// Create a source; prints its inbound URL and signing secret.
    Add(SourceAddArgs),
    /// List sources.
    List,
    /// Make a new signing secret current; the old one keeps working for an overlap period.
    RotateSecret(RotateArgs),
}

/// Options of `hookyard source add`.
#[derive(Debug, Args)]
pub struct SourceAddArgs {
    /// Short name used in the URL: lower-case letters, digits, `-` and `_`.
    #[arg(long)]
    pub slug: String,
    /// How senders sign requests.
    #[arg(long, value_enum)]
    pub scheme: SchemeArg,
    /// Signing secret from the provider (e.g. Stripe's whsec_...). Generated in the scheme's
    /// format when omitted.
    #[arg(long)]
    pub secret: Option<String>,
    /// Display name (defaults to the slug).
    #[arg(long)]
    pub name: Option<String>,
    /// Accepted clock skew of signed timestamps, in seconds.
    #[arg(long, default_value_t = 300)]
    pub tolerance_secs: i64,
    /// Largest accepted body, in bytes (at most 26214400 = 25 MiB).
    #[arg(long, default_value_t = 2_097_152)]
    pub max_body_bytes: i64,
    /// hmac scheme: the header carrying the signature.
    #[arg(long, default_value = "x-signature")]
    pub hmac_header: String,
    /// hmac scheme: text before the signature, e.g. `sha256=`.
    #[arg(long, default_value = "")]
    pub hmac_prefix: String,
    /// hmac scheme: how the signature is encoded.
    #[arg(long, value_enum, default_value_t = EncodingArg::Hex)]
    pub hmac_encoding: EncodingArg,
    /// hmac scheme: JSON pointer to the event id (none found: the body's SHA-256).
    #[arg(long, default_value = "/id")]
    pub id_pointer: String,
    /// hmac scheme: JSON pointer to the event type.
    #[arg(long, default_value = "/type")]
    pub type_pointer: String,
    /// Read this source's events as payments (providers other than Stripe; Stripe sources
    /// need nothing): JSON pointers, e.g. '{"id":"/data/id","amount":"/data/amount",
    /// "currency":"/data/currency","status":"/data/status","amount_unit":"minor"}'.
    /// Omitted keys take these defaults; "amount_unit" is "minor" (cents) or "major" ("19.99").
    #[arg(long)]
    pub payment_mapping: Option<String>,
    /// Base URL the inbound URL is printed with.
    #[arg(
        long,
        env = "HOOKYARD_PUBLIC_URL",
        default_value = "http://127.0.0.1:3000"
    )]
    pub public_url: String,
}

/// Options of `hookyard source rotate-secret`.
#[derive(Debug, Args)]
pub struct RotateArgs {
    #[arg(long)]
    pub slug: String,
    /// The new secret (generated in the scheme's format when omitted).
    #[arg(long)]
    pub secret: Option<String>,
    /// How long the previous secret stays valid, in hours.
    #[arg(long, default_value_t = 24)]
    pub overlap_hours: i64,
}

/// Options of `hookyard send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// The source to send to (its scheme and secret are read from the database).
    #[arg(long)]
    pub source: String,
    /// A built-in sample: payment_intent.succeeded (the default), payment_intent.payment_failed,
    /// charge.refunded, charge.dispute.created, invoice.paid, customer.subscription.deleted.
    /// With --data: the event type for schemes that send it in a header (GitHub, Shopify).
    #[arg(long = "type")]
    pub event_type: Option<String>,
    /// Send this body instead: `@file.json`, or the JSON itself.
    #[arg(long)]
    pub data: Option<String>,
    /// Base URL of the Hookyard server.
    #[arg(
        long,
        env = "HOOKYARD_PUBLIC_URL",
        default_value = "http://127.0.0.1:3000"
    )]
    pub url: String,
}

/// `--scheme` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemeArg {
    Stripe,
    Standard,
    Github,
    Shopify,
    Hmac,
}

impl From<SchemeArg> for hookyard_core::ingest::scheme::Scheme {
    fn from(arg: SchemeArg) -> Self {
        use hookyard_core::ingest::scheme::Scheme;
        match arg {
            SchemeArg::Stripe => Scheme::Stripe,
            SchemeArg::Standard => Scheme::Standard,
            SchemeArg::Github => Scheme::Github,
            SchemeArg::Shopify => Scheme::Shopify,
            SchemeArg::Hmac => Scheme::Hmac,
        }
    }
}

/// `--hmac-encoding` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EncodingArg {
    Hex,
    Base64,
}

/// Options of `hookyard serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "HOOKYARD_BIND", default_value = "127.0.0.1:3000")]
    pub bind: SocketAddr,

    /// Seconds to let in-flight requests finish after SIGTERM/SIGINT before exiting anyway.
    #[arg(long, env = "HOOKYARD_SHUTDOWN_GRACE_SECS", default_value_t = 20)]
    pub shutdown_grace_secs: u64,

    /// If set, deliveries may only connect to these networks (comma-separated CIDRs).
    #[arg(long, env = "HOOKYARD_ENDPOINT_ALLOW_NETWORKS", default_value = "")]
    pub endpoint_allow_networks: String,

    /// Deliveries never connect to these networks (comma-separated CIDRs). Cloud metadata
    /// addresses are always refused.
    #[arg(long, env = "HOOKYARD_ENDPOINT_DENY_NETWORKS", default_value = "")]
    pub endpoint_deny_networks: String,

    /// Disable an endpoint after all its deliveries failed for this many hours.
    #[arg(long, env = "HOOKYARD_DISABLE_AFTER_HOURS", default_value_t = 120)]
    pub disable_after_hours: u64,

    /// Send alerts (endpoint failing, disabled or recovered; event type quiet or resumed) to
    /// this URL as webhooks signed with Standard Webhooks headers. Unset: alerts are shown in
    /// the dashboard only.
    #[arg(long, env = "HOOKYARD_ALERT_URL")]
    pub alert_url: Option<String>,

    /// The Standard Webhooks secret (`whsec_…`) alerts are signed with; needed with
    /// --alert-url. `hookyard generate-alert-secret` makes one.
    #[arg(long, env = "HOOKYARD_ALERT_SECRET", hide_env_values = true)]
    pub alert_secret: Option<String>,

    /// An endpoint is "failing" (one alert) after this many failed attempts in a row; the
    /// first success after that is "recovered".
    #[arg(long, env = "HOOKYARD_ALERT_AFTER_FAILURES", default_value_t = 3,
          value_parser = clap::value_parser!(i64).range(1..=1000))]
    pub alert_after_failures: i64,

    /// Event types that should keep arriving, each with how long a silence is alarming:
    /// `invoice.paid=6h,charge.succeeded=30m` (units s, m, h, d).
    #[arg(long, env = "HOOKYARD_ALERT_QUIET", default_value = "",
          value_parser = parse_quiet)]
    pub alert_quiet: QuietRules,

    /// How often (ms) the alert monitor checks quiet types and sends alerts.
    #[arg(
        long,
        env = "HOOKYARD_ALERT_TICK_MS",
        default_value_t = 5000,
        hide = true
    )]
    pub alert_tick_ms: u64,

    /// Deliveries in flight at once in this process, over all endpoints.
    #[arg(long, env = "HOOKYARD_MAX_IN_FLIGHT", default_value_t = 256)]
    pub max_in_flight: usize,

    /// Run without the delivery worker (ingest and dashboard only).
    #[arg(long, env = "HOOKYARD_NO_WORKER")]
    pub no_worker: bool,

    /// Purge payload bodies, headers and delivery attempts older than this many days (event
    /// rows stay, so duplicates are still recognised; payment rows are kept). 0: keep forever.
    #[arg(long, env = "HOOKYARD_RETENTION_DAYS", default_value_t = 30)]
    pub retention_days: u64,

    /// If set, GET /metrics needs `Authorization: Bearer <this token>` (otherwise it is open,
    /// like /healthz). Prefer the environment variable: flags show in process lists.
    #[arg(long, env = "HOOKYARD_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// A dashboard session ends after this many minutes without a request.
    #[arg(long, env = "HOOKYARD_SESSION_IDLE_MINUTES", default_value_t = 720)]
    pub session_idle_minutes: u64,

    /// And this many hours after signing in, however active.
    #[arg(long, env = "HOOKYARD_SESSION_MAX_HOURS", default_value_t = 168)]
    pub session_max_hours: u64,

    /// Mark the session cookie Secure (HTTPS only). `auto`: yes, unless Hookyard listens on a
    /// loopback address and HOOKYARD_PUBLIC_URL is not https (local use over plain http).
    #[arg(long, env = "HOOKYARD_SECURE_COOKIES", value_enum, default_value_t = SecureCookies::Auto)]
    pub secure_cookies: SecureCookies,
}

/// When the session cookie gets the Secure flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SecureCookies {
    Auto,
    Always,
    Never,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn serve_defaults_match_the_spec() {
        let cli = Cli::try_parse_from(["hookyard", "serve"]).expect("parses");
        let Command::Serve(args) = cli.command else {
            panic!("expected serve")
        };
        // Defaults fixed by PRODUCT.md (unless the environment of the test run overrides them).
        if std::env::var_os("HOOKYARD_BIND").is_none() {
            assert_eq!(args.bind.to_string(), "127.0.0.1:3000");
        }
        if std::env::var_os("DATABASE_URL").is_none() {
            assert_eq!(cli.global.database_url, "sqlite://data/hookyard.db");
        }
    }

    #[test]
    fn bad_flag_is_a_usage_error() {
        let err = Cli::try_parse_from(["hookyard", "serve", "--no-such-flag"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::UnknownArgument);
        let err = Cli::try_parse_from(["hookyard", "serve", "--bind", "nowhere"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::ValueValidation);
    }
}

/// The watched event types of `--alert-quiet` (one flag value holds every rule).
#[derive(Clone, Debug, Default)]
pub struct QuietRules(pub Vec<hookyard_core::alerts::QuietRule>);

fn parse_quiet(spec: &str) -> Result<QuietRules, String> {
    hookyard_core::alerts::parse_quiet_rules(spec).map(QuietRules)
}
