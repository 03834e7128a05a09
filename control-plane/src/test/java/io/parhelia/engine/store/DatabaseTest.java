package io.parhelia.engine.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DatabaseTest {

    @TempDir
    Path temp;

    private Path file() {
        return temp.resolve("parhelia.db");
    }

    private static long count(Database db, String sql) {
        return db.read(c -> {
            try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
                r.next();
                return r.getLong(1);
            }
        });
    }

    private static void execute(Database db, String sql) {
        db.write(c -> {
            try (Statement s = c.createStatement()) {
                s.execute(sql);
            }
            return null;
        });
    }

    @Test
    void freshFileIsMigratedToTheLatestVersionInWalMode() {
        try (Database db = Database.open(file())) {
            assertThat(db.schemaVersion()).isEqualTo(Database.LATEST_VERSION);
            assertThat(count(db, "SELECT count(*) FROM schema_migrations")).isEqualTo(Database.LATEST_VERSION);
            assertThat(count(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                    + "('tasks', 'containers', 'events', 'leases')")).isEqualTo(4);
            String journal = db.read(c -> {
                try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("PRAGMA journal_mode")) {
                    return r.getString(1);
                }
            });
            assertThat(journal).isEqualToIgnoringCase("wal");
            assertThat(count(db, "PRAGMA foreign_keys")).isEqualTo(1);
        }
    }

    @Test
    void reopeningDoesNotApplyMigrationsAgainAndKeepsTheData() {
        long appliedAt;
        try (Database db = Database.open(file())) {
            execute(db, "INSERT INTO leases (name, holder, acquired_at, renewed_at, expires_at) VALUES ('kept', 'me', 1, 1, 2)");
            appliedAt = count(db, "SELECT applied_at FROM schema_migrations WHERE version = 1");
        }

        try (Database db = Database.open(file())) {
            assertThat(db.schemaVersion()).isEqualTo(Database.LATEST_VERSION);
            assertThat(count(db, "SELECT count(*) FROM schema_migrations")).isEqualTo(Database.LATEST_VERSION);
            assertThat(count(db, "SELECT applied_at FROM schema_migrations WHERE version = 1")).isEqualTo(appliedAt);
            assertThat(count(db, "SELECT count(*) FROM leases WHERE name = 'kept'")).isEqualTo(1);
        }
    }

    @Test
    void storeWithANewerSchemaThanKnownIsRefusedWithAdvice() {
        try (Database db = Database.open(file())) {
            execute(db, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (" + (Database.LATEST_VERSION + 1) + ", 'V2__from_the_future.sql', 0)");
        }

        assertThatThrownBy(() -> Database.open(file()))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining(file().toString())
                .hasMessageContaining("schema version " + (Database.LATEST_VERSION + 1))
                .hasMessageContaining("(" + Database.LATEST_VERSION + ")")
                .hasMessageContaining("upgrade Parhelia");
    }

    @Test
    void refusedStoreIsClosedAgainLeftUntouchedAndUnlocked() throws Exception {
        try (Database db = Database.open(file())) {
            execute(db, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (" + (Database.LATEST_VERSION + 1) + ", 'V2__from_the_future.sql', 0)");
        }
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> Database.open(file())).isInstanceOf(StoreException.class);
        }
        assertThat(openFileDescriptorsOn(file())).as("connections left open by refused opens").isEmpty();

        // A newer Parhelia would find its store as it left it, and writable.
        try (var raw = new org.sqlite.SQLiteConfig().createConnection("jdbc:sqlite:" + file());
             Statement s = raw.createStatement()) {
            s.setQueryTimeout(2);
            s.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (" + (Database.LATEST_VERSION + 2) + ", 'later', 0)");
            try (ResultSet r = s.executeQuery("SELECT count(*) FROM schema_migrations")) {
                assertThat(r.getInt(1)).isEqualTo(Database.LATEST_VERSION + 2);
            }
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void failingWriteRollsBackEverythingItDidAndTheStoreStaysUsable() {
        try (Database db = Database.open(file())) {
            execute(db, "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)");

            assertThatThrownBy(() -> db.write(c -> {
                try (Statement s = c.createStatement()) {
                    s.execute("INSERT INTO items (id, name) VALUES (1, 'first')");
                    s.execute("INSERT INTO items (id, name) VALUES (2, 'second')");
                    s.execute("INSERT INTO items (id, name) VALUES (1, 'duplicate')");
                }
                return null;
            })).isInstanceOf(StoreException.class).hasMessageContaining("store write failed");
            assertThat(count(db, "SELECT count(*) FROM items")).isZero();

            assertThatThrownBy(() -> db.write(c -> {
                try (Statement s = c.createStatement()) {
                    s.execute("INSERT INTO items (id, name) VALUES (3, 'third')");
                }
                throw new IllegalStateException("the caller changed its mind");
            })).isInstanceOf(IllegalStateException.class).hasMessage("the caller changed its mind");
            assertThat(count(db, "SELECT count(*) FROM items")).isZero();

            execute(db, "INSERT INTO items (id, name) VALUES (4, 'after')");
            assertThat(count(db, "SELECT count(*) FROM items")).isEqualTo(1);
        }
        try (Database db = Database.open(file())) {
            assertThat(count(db, "SELECT count(*) FROM items")).isEqualTo(1);
        }
    }

    @Test
    void aWriteInsideAnotherIsRefusedRatherThanCommittingTheOuterOneEarly() {
        try (Database db = Database.open(file())) {
            execute(db, "CREATE TABLE items (id INTEGER PRIMARY KEY)");
            assertThatThrownBy(() -> db.write(c -> {
                try (Statement s = c.createStatement()) {
                    s.execute("INSERT INTO items (id) VALUES (1)");
                }
                return db.write(inner -> null);
            })).isInstanceOf(IllegalStateException.class).hasMessageContaining("inside another");
            assertThat(count(db, "SELECT count(*) FROM items")).as("the outer write rolled back").isZero();
        }
    }

    @Test
    void readSeesOnlyCommittedWritesOfAnotherConnection() throws Exception {
        try (Database a = Database.open(file()); Database b = Database.open(file())) {
            execute(a, "CREATE TABLE items (id INTEGER PRIMARY KEY)");
            CountDownLatch inserted = new CountDownLatch(1);
            CountDownLatch checked = new CountDownLatch(1);
            ExecutorService writer = Executors.newSingleThreadExecutor();
            try {
                Future<?> write = writer.submit(() -> a.write(c -> {
                    try (Statement s = c.createStatement()) {
                        s.execute("INSERT INTO items (id) VALUES (1)");
                    }
                    inserted.countDown();
                    await(checked);
                    return null;
                }));
                await(inserted);
                assertThat(count(b, "SELECT count(*) FROM items")).isZero();
                checked.countDown();
                write.get(10, TimeUnit.SECONDS);
                assertThat(count(b, "SELECT count(*) FROM items")).isEqualTo(1);
            } finally {
                checked.countDown();
                writer.shutdownNow();
            }
        }
    }

    @Test
    void twoProcessesOpeningAFreshStoreAtOnceMigrateItOnce() throws Exception {
        int opens = 4;
        ExecutorService pool = Executors.newFixedThreadPool(opens);
        List<Database> databases = new ArrayList<>();
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Database>> futures = new ArrayList<>();
            for (int i = 0; i < opens; i++) {
                futures.add(pool.submit(() -> {
                    await(go);
                    return Database.open(file());
                }));
            }
            go.countDown();
            for (Future<Database> future : futures) {
                databases.add(future.get(30, TimeUnit.SECONDS));
            }
            for (Database db : databases) {
                assertThat(db.schemaVersion()).isEqualTo(Database.LATEST_VERSION);
            }
            assertThat(count(databases.get(0), "SELECT count(*) FROM schema_migrations")).isEqualTo(Database.LATEST_VERSION);
        } finally {
            pool.shutdownNow();
            databases.forEach(Database::close);
        }
    }

    /**
     * Two Database objects on one file stand for two server processes: each has its own connection,
     * so they contend through SQLite's file locks, not through the in-process lock.
     */
    @Test
    void twoStoresOnOneFileWriteConcurrentlyWithoutLostWritesOrBusyFailures() throws Exception {
        int threadsPerStore = 3;
        int incrementsPerThread = 150;
        try (Database a = Database.open(file()); Database b = Database.open(file())) {
            execute(a, "CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)");
            execute(a, "CREATE TABLE log (writer TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (writer, n))");
            execute(a, "INSERT INTO counter (id, value) VALUES (1, 0)");

            ExecutorService pool = Executors.newFixedThreadPool(2 * threadsPerStore);
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < 2 * threadsPerStore; t++) {
                    Database db = t % 2 == 0 ? a : b;
                    String writer = "w" + t;
                    futures.add(pool.submit(() -> {
                        await(go);
                        for (int n = 0; n < incrementsPerThread; n++) {
                            int seq = n;
                            db.write(c -> {
                                // Read-modify-write: only correct when the write lock is taken before the read.
                                long value;
                                try (Statement s = c.createStatement();
                                     ResultSet r = s.executeQuery("SELECT value FROM counter WHERE id = 1")) {
                                    value = r.getLong(1);
                                }
                                try (PreparedStatement s = c.prepareStatement("UPDATE counter SET value = ? WHERE id = 1")) {
                                    s.setLong(1, value + 1);
                                    s.executeUpdate();
                                }
                                try (PreparedStatement s = c.prepareStatement("INSERT INTO log (writer, n) VALUES (?, ?)")) {
                                    s.setString(1, writer);
                                    s.setInt(2, seq);
                                    s.executeUpdate();
                                }
                                return null;
                            });
                        }
                        return null;
                    }));
                }
                go.countDown();
                for (Future<?> future : futures) {
                    future.get(60, TimeUnit.SECONDS); // rethrows any StoreException (SQLITE_BUSY among them)
                }
            } finally {
                pool.shutdownNow();
            }

            long expected = 2L * threadsPerStore * incrementsPerThread;
            assertThat(count(a, "SELECT value FROM counter WHERE id = 1")).isEqualTo(expected);
            assertThat(count(b, "SELECT value FROM counter WHERE id = 1")).isEqualTo(expected);
            assertThat(count(b, "SELECT count(*) FROM log")).isEqualTo(expected);
        }
    }

    /** This process's open files that are the store or its WAL and shared-memory files. */
    private static List<Path> openFileDescriptorsOn(Path store) throws java.io.IOException {
        List<Path> open = new ArrayList<>();
        try (var fds = java.nio.file.Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    Path target = java.nio.file.Files.readSymbolicLink(fd);
                    if (target.toString().startsWith(store.toString())) {
                        open.add(target);
                    }
                } catch (java.io.IOException | UnsupportedOperationException e) {
                    // closed meanwhile
                }
            }
        }
        return open;
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(30, TimeUnit.SECONDS)) {
                throw new AssertionError("latch not released in time");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
