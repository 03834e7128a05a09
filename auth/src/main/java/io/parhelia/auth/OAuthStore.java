package io.parhelia.auth;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * What the embedded authorization server remembers, in {@code $PARHELIA_HOME/auth/oauth.json}
 * (mode 0600): registered clients, authorization requests waiting for consent, authorization codes
 * and grants (one per consent: the refresh-token family and the access tokens issued from it).
 * Codes, consent (CSRF) tokens and refresh tokens are kept only as SHA-256 hashes.
 *
 * <p>Files rather than the SQLite store, like {@link TokenStore}: the auth module stays independent
 * of the engine, the data is small, and the same lock discipline is proven there. Every change is
 * a read-modify-write under an exclusive lock on {@code auth/oauth.lock} (serializing the server
 * processes of one home, so a code or refresh token is spent exactly once), written to a temporary
 * file and moved into place; a change that changes nothing writes nothing.
 */
final class OAuthStore {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** Serializes changes within this JVM; the file lock serializes them across processes. */
    private static final Object JVM_LOCK = new Object();
    static final Duration IDLE_CLIENT_LIFETIME = Duration.ofDays(90);

    record Client(String clientId, String name, List<String> redirectUris, long createdAt) {
    }

    /** An authorization request shown on the consent page; the form's CSRF token is its key. */
    record PendingRequest(String csrfSha256, String clientId, String redirectUri, String state, String codeChallenge,
                          List<String> scopes, String resource, long expiresAt) {
    }

    record Code(String sha256, String grantId, String redirectUri, String codeChallenge, long expiresAt, boolean spent) {
    }

    /**
     * What a person consented to. Access tokens name their grant; revoking it refuses them and its refresh token.
     *
     * @param refreshSha256        the hash of the one refresh token valid now, or null before the code is exchanged
     * @param retiredRefreshSha256 hashes of refresh tokens already rotated away: one presented again means theft
     */
    record Grant(String id, String clientId, String subject, List<String> scopes, String resource, long createdAt,
                 String refreshSha256, List<String> retiredRefreshSha256, long expiresAt, Long revokedAt) {

        Grant rotated(String newRefreshSha256) {
            List<String> retired = new ArrayList<>(retiredRefreshSha256);
            if (refreshSha256 != null) {
                retired.add(refreshSha256);
            }
            return new Grant(id, clientId, subject, scopes, resource, createdAt, newRefreshSha256, retired, expiresAt, revokedAt);
        }

        Grant revoked(long at) {
            return revokedAt != null ? this
                    : new Grant(id, clientId, subject, scopes, resource, createdAt, null, retiredRefreshSha256, expiresAt, at);
        }
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record State(List<Client> clients, List<PendingRequest> requests, List<Code> codes, List<Grant> grants) {

        static State empty() {
            return new State(List.of(), List.of(), List.of(), List.of());
        }

        /**
         * Drops what has expired by {@code now} (epoch seconds) and can never be used again, and the
         * registrations older than {@link #IDLE_CLIENT_LIFETIME} without a live grant: clients register
         * anew on every fresh connection, and one whose registration went is told {@code invalid_client},
         * on which it registers again.
         */
        State pruned(long now) {
            List<Grant> live = grants.stream().filter(g -> g.expiresAt() > now).toList();
            Set<String> granted = live.stream().map(Grant::clientId).collect(Collectors.toSet());
            return new State(
                    clients.stream().filter(c -> c.createdAt() > now - IDLE_CLIENT_LIFETIME.toSeconds()
                            || granted.contains(c.clientId())).toList(),
                    requests.stream().filter(r -> r.expiresAt() > now).toList(),
                    codes.stream().filter(c -> c.expiresAt() > now).toList(),
                    live);
        }

        State withClients(List<Client> clients) {
            return new State(clients, requests, codes, grants);
        }

        State withRequests(List<PendingRequest> requests) {
            return new State(clients, requests, codes, grants);
        }

        State withCodes(List<Code> codes) {
            return new State(clients, requests, codes, grants);
        }

        State withGrants(List<Grant> grants) {
            return new State(clients, requests, codes, grants);
        }

        State replacing(Grant grant) {
            return withGrants(grants.stream().map(g -> g.id().equals(grant.id()) ? grant : g).toList());
        }
    }

    /** A change's new state and what it answers. */
    record Outcome<T>(State state, T result) {
    }

    private record RevokedSnapshot(Object fileKey, FileTime modified, long size, Set<String> revokedGrants) {
    }

    private final Path file;
    private final Path lockFile;
    private volatile RevokedSnapshot revoked = new RevokedSnapshot(null, null, -1, Set.of());

    OAuthStore(Path home) {
        Path dir = home.resolve("auth");
        this.file = dir.resolve("oauth.json");
        this.lockFile = dir.resolve("oauth.lock");
    }

    Path file() {
        return file;
    }

    /** Applies {@code change} to the current state under the lock; writes only when the state changed. */
    <T> T change(Function<State, Outcome<T>> change) {
        synchronized (JVM_LOCK) {
            try {
                Files.createDirectories(file.getParent(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                     FileLock ignored = channel.lock()) {
                    State before = read();
                    Outcome<T> outcome = change.apply(before);
                    if (!outcome.state().equals(before)) {
                        write(outcome.state());
                    }
                    return outcome.result();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot update " + file, e);
            }
        }
    }

    State read() {
        try {
            return JSON.readValue(file.toFile(), State.class);
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            return State.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** Whether the grant {@code id} is revoked; re-reads the file only when it changed, since this runs on every request. */
    boolean isRevoked(String grantId) {
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            RevokedSnapshot seen = revoked;
            if (!Objects.equals(seen.fileKey(), attributes.fileKey()) || !attributes.lastModifiedTime().equals(seen.modified())
                    || attributes.size() != seen.size()) {
                Set<String> ids = read().grants().stream().filter(g -> g.revokedAt() != null).map(Grant::id)
                        .collect(Collectors.toUnmodifiableSet());
                seen = new RevokedSnapshot(attributes.fileKey(), attributes.lastModifiedTime(), attributes.size(), ids);
                revoked = seen;
            }
            return seen.revokedGrants().contains(grantId);
        } catch (NoSuchFileException e) {
            // No grant was ever made on this home, so none can be revoked; the token's signature was already checked.
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private void write(State state) throws IOException {
        Path temporary = Files.createTempFile(file.getParent(), "oauth", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            JSON.writeValue(temporary.toFile(), state);
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }
}
