package io.parhelia.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parhelia.mcp.Scope;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Named, scoped, expiring tokens in {@code $PARHELIA_HOME/auth/tokens.json} (mode 0600): only
 * each token's SHA-256 is stored, the token itself is shown once by {@link #create}.
 *
 * <p>Several processes share the file (servers and the {@code parhelia token} commands): every
 * change is a read-modify-write under an exclusive lock on {@code auth/tokens.lock}, written to a
 * temporary file and moved into place, so readers see the old or the new file, never half of one.
 * A server notices a change by the file's identity, time and size, checked on each verification,
 * so a revocation takes effect with the next request. Last use is kept in memory and written in
 * batches by {@link #flushLastUse} (periodically, see {@link #startFlushing}), so requests never
 * write the file.
 */
public final class TokenStore implements TokenVerifier, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TokenStore.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    /** Names of {@link StaticTokens}; a file token may not take one, or the audit log could not tell them apart. */
    private static final String RESERVED_PREFIX = "env-";
    /** Serializes changes within this JVM; the file lock serializes them across processes. */
    private static final Object JVM_LOCK = new Object();

    /** One token as stored. */
    public record Entry(String name, String subject, Set<Scope> scopes, String sha256, Instant createdAt,
                        Instant expiresAt, Instant lastUsedAt, Instant revokedAt) {

        public Entry {
            scopes = Set.copyOf(scopes);
        }

        public String status(Instant now) {
            return revokedAt != null ? "revoked" : !now.isBefore(expiresAt) ? "expired" : "active";
        }

        Entry withLastUse(Instant at) {
            return new Entry(name, subject, scopes, sha256, createdAt, expiresAt, at, revokedAt);
        }

        Entry revoked(Instant at) {
            return new Entry(name, subject, scopes, sha256, createdAt, expiresAt, lastUsedAt, at);
        }
    }

    /** A token just made: its value, shown once, and its stored entry. */
    public record Created(String token, Entry entry) {
    }

    private record Snapshot(Object fileKey, FileTime modified, long size, List<Entry> entries, List<byte[]> digests) {
    }

    private final Path file;
    private final Path lockFile;
    private final Clock clock;
    private final Map<String, Instant> unsavedLastUse = new ConcurrentHashMap<>();
    private volatile Snapshot snapshot;
    private ScheduledExecutorService flusher;

    private TokenStore(Path home, Clock clock) {
        Path dir = home.resolve("auth");
        this.file = dir.resolve("tokens.json");
        this.lockFile = dir.resolve("tokens.lock");
        this.clock = clock;
    }

    public static TokenStore open(Path home) {
        return open(home, Clock.systemUTC());
    }

    public static TokenStore open(Path home, Clock clock) {
        return new TokenStore(Objects.requireNonNull(home, "home"), Objects.requireNonNull(clock, "clock"));
    }

    public Path file() {
        return file;
    }

    /**
     * Makes a token. A name still active is refused (revoke it first); a revoked or expired one is replaced.
     *
     * @param subject  the principal it acts as (owner of its tasks); give the same subject to a successor token
     *                 to rotate without losing the tasks
     * @param lifetime how long it is accepted
     */
    public Created create(String name, String subject, Set<Scope> scopes, Duration lifetime) {
        checkName("name", name);
        checkName("subject", subject);
        if (scopes.isEmpty()) {
            throw new IllegalArgumentException("a token needs at least one scope: "
                    + String.join(", ", List.of(Scope.READ.value(), Scope.TASKS.value(), Scope.ADMIN.value())));
        }
        if (lifetime.isNegative() || lifetime.isZero()) {
            throw new IllegalArgumentException("a token's lifetime must be positive");
        }
        String token = OpaqueTokens.generate();
        Instant now = clock.instant();
        Entry entry = new Entry(name, subject, scopes, OpaqueTokens.sha256Hex(token), now, now.plus(lifetime), null, null);
        change(entries -> {
            for (Entry existing : entries) {
                if (existing.name().equals(name) && existing.status(now).equals("active")) {
                    throw new IllegalArgumentException("a token named '" + name + "' is active; revoke it first, "
                            + "or create the new one under another name with the same --subject and revoke the old one later");
                }
            }
            entries.removeIf(existing -> existing.name().equals(name));
            entries.add(entry);
            return true;
        });
        return new Created(token, entry);
    }

    /** Revokes a token by name; false when no token has that name or it was already revoked. */
    public boolean revoke(String name) {
        Instant now = clock.instant();
        boolean[] revoked = {false};
        change(entries -> {
            for (int i = 0; i < entries.size(); i++) {
                Entry entry = entries.get(i);
                if (entry.name().equals(name) && entry.revokedAt() == null) {
                    entries.set(i, entry.revoked(now));
                    revoked[0] = true;
                }
            }
            return revoked[0];
        });
        return revoked[0];
    }

    /** Every token, by name; last use as last written (a server writes it every minute or so). */
    public List<Entry> list() {
        return current().entries().stream().sorted(Comparator.comparing(Entry::name)).toList();
    }

    @Override
    public Verification verify(String token, URI resource) {
        Snapshot current = current();
        byte[] digest = OpaqueTokens.sha256(token);
        Entry match = null;
        // Compare with every entry, so the time taken does not tell how many entries precede the match.
        for (int i = 0; i < current.digests().size(); i++) {
            if (OpaqueTokens.sameDigest(current.digests().get(i), digest) && match == null) {
                match = current.entries().get(i);
            }
        }
        if (match == null) {
            return Verification.UNRECOGNIZED;
        }
        Instant now = clock.instant();
        if (match.revokedAt() != null) {
            return new Verification.Refused(Verification.Reason.REVOKED, match.name(), "the token was revoked");
        }
        if (!now.isBefore(match.expiresAt())) {
            return new Verification.Refused(Verification.Reason.EXPIRED, match.name(), "the token expired at " + match.expiresAt());
        }
        unsavedLastUse.merge(match.sha256(), now, (a, b) -> a.isAfter(b) ? a : b);
        return new Verification.Accepted(new TokenIdentity(match.subject(), match.name(), null, match.scopes(), match.expiresAt()));
    }

    /** Writes the last uses seen since the previous flush, keeping the later time where another process wrote one too. */
    public void flushLastUse() {
        if (unsavedLastUse.isEmpty()) {
            return;
        }
        Map<String, Instant> pending = Map.copyOf(unsavedLastUse);
        pending.forEach(unsavedLastUse::remove);
        change(entries -> {
            boolean changed = false;
            for (int i = 0; i < entries.size(); i++) {
                Entry entry = entries.get(i);
                Instant used = pending.get(entry.sha256());
                if (used != null && (entry.lastUsedAt() == null || used.isAfter(entry.lastUsedAt()))) {
                    entries.set(i, entry.withLastUse(used));
                    changed = true;
                }
            }
            return changed;
        });
    }

    /** Flushes last uses every {@code interval} on a daemon thread until {@link #close}. */
    public synchronized void startFlushing(Duration interval) {
        if (flusher != null) {
            return;
        }
        flusher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "parhelia-token-last-use");
            thread.setDaemon(true);
            return thread;
        });
        flusher.scheduleWithFixedDelay(() -> {
            try {
                flushLastUse();
            } catch (RuntimeException e) {
                log.warn("writing tokens' last use to {} failed; retrying later", file, e);
            }
        }, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Stops the periodic flush and writes what is left. */
    @Override
    public synchronized void close() {
        if (flusher != null) {
            flusher.shutdownNow();
            flusher = null;
        }
        flushLastUse();
    }

    private static void checkName(String what, String value) {
        if (value == null || !NAME.matcher(value).matches()) {
            throw new IllegalArgumentException("a token's " + what + " must be 1-64 of a-z 0-9 . _ - (starting with a letter or digit), got '"
                    + value + "'");
        }
        if (value.startsWith(RESERVED_PREFIX)) {
            throw new IllegalArgumentException("a token's " + what + " may not start with '" + RESERVED_PREFIX
                    + "': those name the tokens of " + StaticTokens.ENV);
        }
    }

    private Snapshot current() {
        Snapshot known = snapshot;
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return known != null && known.fileKey() == null ? known : (snapshot = empty());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        if (known != null && Objects.equals(known.fileKey(), attributes.fileKey())
                && known.modified().equals(attributes.lastModifiedTime()) && known.size() == attributes.size()) {
            return known;
        }
        List<Entry> entries = read();
        Snapshot fresh = new Snapshot(attributes.fileKey(), attributes.lastModifiedTime(), attributes.size(), entries,
                entries.stream().map(e -> HexFormat.of().parseHex(e.sha256())).toList());
        snapshot = fresh;
        return fresh;
    }

    private static Snapshot empty() {
        return new Snapshot(null, FileTime.fromMillis(0), -1, List.of(), List.of());
    }

    @FunctionalInterface
    private interface Change {
        /** Changes the entries in place; returns whether anything changed (and the file must be written). */
        boolean apply(List<Entry> entries);
    }

    private void change(Change change) {
        synchronized (JVM_LOCK) {
            try {
                Files.createDirectories(file.getParent(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                     FileLock ignored = channel.lock()) {
                    List<Entry> entries = new ArrayList<>(Files.exists(file) ? read() : List.of());
                    if (change.apply(entries)) {
                        write(entries);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot update " + file, e);
            }
        }
    }

    private List<Entry> read() {
        try {
            JsonNode root = JSON.readTree(file.toFile());
            List<Entry> entries = new ArrayList<>();
            for (JsonNode node : root.path("tokens")) {
                Set<Scope> scopes = new LinkedHashSet<>();
                for (JsonNode scope : node.path("scopes")) {
                    scopes.add(Scope.fromValue(scope.asText()).orElseThrow(() ->
                            new IllegalStateException(file + ": unknown scope '" + scope.asText() + "'")));
                }
                entries.add(new Entry(node.path("name").asText(), node.path("subject").asText(), scopes,
                        node.path("sha256").asText(), instant(node, "created_at"), instant(node, "expires_at"),
                        instant(node, "last_used_at"), instant(node, "revoked_at")));
            }
            return entries;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private void write(List<Entry> entries) throws IOException {
        ObjectNode root = JSON.createObjectNode().put("version", 1);
        ArrayNode tokens = root.putArray("tokens");
        for (Entry entry : entries) {
            ObjectNode node = tokens.addObject().put("name", entry.name()).put("subject", entry.subject());
            ArrayNode scopes = node.putArray("scopes");
            entry.scopes().stream().sorted().forEach(scope -> scopes.add(scope.value()));
            node.put("sha256", entry.sha256());
            put(node, "created_at", entry.createdAt());
            put(node, "expires_at", entry.expiresAt());
            put(node, "last_used_at", entry.lastUsedAt());
            put(node, "revoked_at", entry.revokedAt());
        }
        Path temporary = Files.createTempFile(file.getParent(), "tokens-", ".json",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.write(temporary, JSON.writeValueAsBytes(root), StandardOpenOption.WRITE, StandardOpenOption.SYNC);
            // rename(2) within one directory: readers in other processes see the old file or the new one.
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    private static Instant instant(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : Instant.parse(value.asText());
    }

    private static void put(ObjectNode node, String field, Instant value) {
        if (value == null) {
            node.putNull(field);
        } else {
            node.put(field, value.toString());
        }
    }
}
