package io.parhelia.engine.reconcile;

import io.parhelia.engine.store.Database;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * A named lease in the store: work that one process at a time may do. The holder renews it each
 * time it works; when the holder dies, the lease expires and another process takes it over.
 */
public final class Lease {

    private final Database db;
    private final String name;
    private final String holder;
    private final Duration ttl;
    private final Clock clock;

    public Lease(Database db, String name, String holder, Duration ttl, Clock clock) {
        this.db = db;
        this.name = name;
        this.holder = holder;
        this.ttl = ttl;
        this.clock = clock;
    }

    /** Takes or renews the lease; false when another live holder has it. */
    public boolean tryAcquire() {
        long now = clock.millis();
        return db.write(c -> {
            try (PreparedStatement s = c.prepareStatement("""
                    INSERT INTO leases (name, holder, acquired_at, renewed_at, expires_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (name) DO UPDATE SET
                      acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at ELSE excluded.acquired_at END,
                      holder = excluded.holder, renewed_at = excluded.renewed_at, expires_at = excluded.expires_at
                    WHERE leases.holder = excluded.holder OR leases.expires_at < ?""")) {
                s.setString(1, name);
                s.setString(2, holder);
                s.setLong(3, now);
                s.setLong(4, now);
                s.setLong(5, now + ttl.toMillis());
                s.setLong(6, now);
                return s.executeUpdate() == 1;
            }
        });
    }

    /** Gives the lease up so another process can take it at once. */
    public void release() {
        db.write(c -> {
            try (PreparedStatement s = c.prepareStatement("DELETE FROM leases WHERE name = ? AND holder = ?")) {
                s.setString(1, name);
                s.setString(2, holder);
                return s.executeUpdate();
            }
        });
    }

    /** Who holds the lease now, if anyone does. */
    public Optional<String> currentHolder() {
        long now = clock.millis();
        return db.read(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT holder FROM leases WHERE name = ? AND expires_at >= ?")) {
                s.setString(1, name);
                s.setLong(2, now);
                try (ResultSet r = s.executeQuery()) {
                    return r.next() ? Optional.of(r.getString(1)) : Optional.empty();
                }
            }
        });
    }

    public String holder() {
        return holder;
    }
}
