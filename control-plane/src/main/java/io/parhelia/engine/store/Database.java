package io.parhelia.engine.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteErrorCode;

/**
 * The SQLite store. Several Parhelia processes may share one file (each Claude Code window starts
 * its own stdio server), so the database runs in WAL mode, writes take the write lock up front
 * ({@code BEGIN IMMEDIATE}) and wait for other processes through the busy timeout.
 * Within one process, one connection is shared under a lock: SQLite serialises writers anyway.
 */
public final class Database implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Database.class);
    private static final int BUSY_TIMEOUT_MS = 15_000;
    /** Migrations in order; the version of each is its position, starting at 1. Never edit one that shipped. */
    private static final String[] MIGRATIONS = {"V1__tasks_containers_events.sql", "V2__containers_sessions_subscriptions.sql",
            "V3__checkpoints.sql", "V4__budget.sql", "V5__task_network.sql"};
    /** The schema version this Parhelia migrates a store to. */
    public static final int LATEST_VERSION = MIGRATIONS.length;

    private final Path file;
    private final Connection connection;
    private final ReentrantLock lock = new ReentrantLock();

    private Database(Path file, Connection connection) {
        this.file = file;
        this.connection = connection;
    }

    public static Database open(Path file) {
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
        config.setBusyTimeout(BUSY_TIMEOUT_MS);
        config.enforceForeignKeys(true);
        try {
            Connection connection = connect(config, file);
            Database database = new Database(file, connection);
            try {
                database.migrate();
            } catch (RuntimeException e) {
                // A refused store (e.g. a newer schema) must not stay open in this process.
                database.close();
                throw e;
            }
            return database;
        } catch (SQLException e) {
            throw new StoreException("cannot open the store " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Opens a connection, waiting while another process holds the file: turning a new file to WAL
     * needs an exclusive lock, and that pragma answers SQLITE_BUSY at once instead of waiting.
     */
    private static Connection connect(SQLiteConfig config, Path file) throws SQLException {
        long deadline = System.nanoTime() + BUSY_TIMEOUT_MS * 1_000_000L;
        while (true) {
            try {
                return config.createConnection("jdbc:sqlite:" + file);
            } catch (SQLException e) {
                if ((e.getErrorCode() & 0xff) != SQLiteErrorCode.SQLITE_BUSY.code || System.nanoTime() > deadline) {
                    throw e;
                }
            }
            try {
                Thread.sleep(10 + ThreadLocalRandom.current().nextInt(20));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SQLException("interrupted while waiting for the store " + file, e);
            }
        }
    }

    public Path file() {
        return file;
    }

    /**
     * Runs work in one write transaction: all of it is committed, or none. The transaction is begun
     * and ended by hand: the driver's own non-autocommit mode would begin the next one (and take the
     * write lock again) right after each commit.
     */
    public <T> T write(SqlWork<T> work) {
        if (lock.isHeldByCurrentThread()) {
            throw new IllegalStateException("a store write inside another would commit the outer one early");
        }
        lock.lock();
        try (Statement control = connection.createStatement()) {
            control.execute("BEGIN IMMEDIATE");
            try {
                T result = work.run(connection);
                control.execute("COMMIT");
                return result;
            } catch (Throwable e) {
                control.execute("ROLLBACK");
                throw e;
            }
        } catch (SQLException e) {
            throw new StoreException("store write failed: " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    public <T> T read(SqlWork<T> work) {
        lock.lock();
        try {
            return work.run(connection);
        } catch (SQLException e) {
            throw new StoreException("store read failed: " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    /** The applied schema version; a quick proof the store answers. */
    public int schemaVersion() {
        return read(c -> {
            try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT max(version) FROM schema_migrations")) {
                return r.next() ? r.getInt(1) : 0;
            }
        });
    }

    private void migrate() {
        write(c -> {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
                int applied;
                try (ResultSet r = s.executeQuery("SELECT coalesce(max(version), 0) FROM schema_migrations")) {
                    applied = r.getInt(1);
                }
                if (applied > MIGRATIONS.length) {
                    throw new StoreException("the store " + file + " has schema version " + applied
                            + ", newer than this Parhelia knows (" + MIGRATIONS.length + "); upgrade Parhelia");
                }
                for (int version = applied + 1; version <= MIGRATIONS.length; version++) {
                    String name = MIGRATIONS[version - 1];
                    for (String statement : script(name).split(";\\s*\\n")) {
                        if (!statement.isBlank()) {
                            s.execute(statement);
                        }
                    }
                    s.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (" + version + ", '"
                            + name + "', " + System.currentTimeMillis() + ")");
                    log.info("store {} migrated to version {} ({})", file, version, name);
                }
            }
            return null;
        });
    }

    private static String script(String name) {
        try (InputStream in = Database.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("migration " + name + " missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("migration " + name + " unreadable", e);
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            connection.close();
        } catch (SQLException e) {
            log.warn("closing the store failed: {}", e.getMessage());
        } finally {
            lock.unlock();
        }
    }

    @FunctionalInterface
    public interface SqlWork<T> {
        T run(Connection connection) throws SQLException;
    }
}
