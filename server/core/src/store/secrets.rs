//! Queries over every stored secret at once: sealing plain-text secrets on start-up,
//! re-encrypting under a new master key, and finding which keys sealed what. Written once and
//! instantiated per database, like `common.rs`. (Single secrets are sealed and opened where
//! their rows are written and read: `common.rs` for sources, `deliveries.rs` for endpoints.)

macro_rules! secret_queries {
    ($db:ty) => {
        use std::collections::BTreeSet;

        use sqlx::Pool;

        use crate::crypto::{self, MasterKey, Purpose, Stored};
        use crate::store::{Resealed, StoreError};

        type Db = $db;

        /// Every key id that sealed a stored value (plain-text values are not listed).
        pub(crate) async fn sealed_key_ids(pool: &Pool<Db>) -> Result<BTreeSet<String>, StoreError> {
            let mut values: Vec<String> = sqlx::query_scalar("SELECT secret FROM source_secrets")
                .fetch_all(pool)
                .await?;
            let endpoints: Vec<(String, String)> = sqlx::query_as("SELECT secret, headers FROM endpoints")
                .fetch_all(pool)
                .await?;
            for (secret, headers) in endpoints {
                values.push(secret);
                values.extend(header_values(&headers)?.into_iter().map(|(_, v)| v));
            }
            Ok(values
                .iter()
                .filter_map(|v| match crypto::inspect(v) {
                    Stored::SealedUnder(id) => Some(id),
                    Stored::Plain => None,
                })
                .collect())
        }

        fn header_values(json: &str) -> Result<Vec<(String, String)>, StoreError> {
            serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("endpoint headers: {e}")))
        }

        /// Re-encrypts every stored secret under `to`, in one transaction (see
        /// [`crypto::reseal`]: with no `from`, only plain text is sealed). With `audit`
        /// (actor, time), records the rotation in the audit log, key ids only.
        pub(crate) async fn reseal(
            pool: &Pool<Db>,
            from: Option<&MasterKey>,
            to: &MasterKey,
            audit: Option<(&str, i64)>,
        ) -> Result<Resealed, StoreError> {
            let mut done = Resealed::default();
            let mut tx = crate::store::begin_write(pool).await?;
            // A row that changed between our read and our write is reported, not skipped
            // silently: a rotation must leave nothing under the old key. (On start-up, another
            // instance sealing the same row at the same time is harmless.)
            let changed_meanwhile = |rows: u64| -> Result<(), StoreError> {
                if rows == 0 && from.is_some() {
                    return Err(StoreError::Conflict(
                        "a secret changed during the master-key rotation; nothing was changed: stop every hookyard instance and run it again".into(),
                    ));
                }
                Ok(())
            };
            let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, secret FROM source_secrets ORDER BY id")
                .fetch_all(&mut *tx)
                .await?;
            for (id, secret) in rows {
                match crypto::reseal(&secret, Purpose::SourceSecret, from, to)? {
                    Some(sealed) => {
                        let n = sqlx::query("UPDATE source_secrets SET secret = $2 WHERE id = $1 AND secret = $3")
                            .bind(id)
                            .bind(&sealed)
                            .bind(&secret)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected();
                        changed_meanwhile(n)?;
                        done.source_secrets += n;
                    }
                    None => done.unchanged += 1,
                }
            }
            let rows: Vec<(i64, String, String)> = sqlx::query_as("SELECT id, secret, headers FROM endpoints ORDER BY id")
                .fetch_all(&mut *tx)
                .await?;
            for (id, secret, headers) in rows {
                let new_secret = crypto::reseal(&secret, Purpose::EndpointSecret, from, to)?;
                let mut values = header_values(&headers)?;
                let mut new_headers = 0;
                for (_, value) in &mut values {
                    match crypto::reseal(value, Purpose::EndpointHeader, from, to)? {
                        Some(sealed) => {
                            *value = sealed;
                            new_headers += 1;
                        }
                        None => done.unchanged += 1,
                    }
                }
                if new_secret.is_none() {
                    done.unchanged += 1;
                }
                if new_secret.is_none() && new_headers == 0 {
                    continue;
                }
                let n = sqlx::query(
                    "UPDATE endpoints SET secret = $2, headers = $3 WHERE id = $1 AND secret = $4 AND headers = $5",
                )
                .bind(id)
                .bind(new_secret.as_deref().unwrap_or(&secret))
                .bind(serde_json::to_string(&values).map_err(|e| StoreError::Corrupt(e.to_string()))?)
                .bind(&secret)
                .bind(&headers)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                changed_meanwhile(n)?;
                if n > 0 {
                    done.endpoint_secrets += u64::from(new_secret.is_some());
                    done.header_values += new_headers;
                }
            }
            if let Some((actor, now_ms)) = audit {
                let detail = serde_json::json!({
                    "from_key": from.map(MasterKey::id),
                    "to_key": to.id(),
                    "source_secrets": done.source_secrets,
                    "endpoint_secrets": done.endpoint_secrets,
                    "header_values": done.header_values,
                });
                sqlx::query("INSERT INTO audit_log (at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)")
                    .bind(now_ms)
                    .bind(actor)
                    .bind("master_key.rotated")
                    .bind("master_key")
                    .bind(detail.to_string())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            let changed = done.source_secrets + done.endpoint_secrets + done.header_values;
            if changed > 0 && <Db as sqlx::Database>::NAME == "SQLite" {
                // The write-ahead log still holds earlier versions of these pages (plain text,
                // or values under the old key): fold it into the database and empty it. Best
                // effort: a reader holding an old snapshot leaves it to a later checkpoint.
                let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(pool).await;
            }
            Ok(done)
        }
    };
}

pub(crate) mod sqlite {
    secret_queries!(sqlx::Sqlite);
}

pub(crate) mod postgres {
    secret_queries!(sqlx::Postgres);
}
