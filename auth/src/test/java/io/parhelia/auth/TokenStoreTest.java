package io.parhelia.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parhelia.mcp.Scope;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenStoreTest {

    private static final URI RESOURCE = URI.create("http://127.0.0.1:8080/mcp");

    @TempDir
    Path home;

    @Test
    void aCreatedTokenIsShownOnceAndOnlyItsHashIsStoredInAPrivateFile() throws Exception {
        TokenStore store = TokenStore.open(home);
        TokenStore.Created created = store.create("ci", "ci", Set.of(Scope.READ), Duration.ofDays(30));

        assertThat(created.token()).startsWith("phl_").hasSize(4 + 43);
        String file = Files.readString(store.file());
        assertThat(file).doesNotContain(created.token()).contains(OpaqueTokens.sha256Hex(created.token()));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(store.file()))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(store.file().getParent()))).isEqualTo("rwx------");
        assertThat(store.verify(created.token(), RESOURCE)).isEqualTo(new Verification.Accepted(
                new TokenIdentity("ci", "ci", null, Set.of(Scope.READ), created.entry().expiresAt())));
    }

    @Test
    void aTokenActsAsItsSubjectSoASuccessorKeepsThePredecessorsTasks() {
        TokenStore store = TokenStore.open(home);
        String old = store.create("ci", "ci", Set.of(Scope.TASKS), Duration.ofDays(30)).token();
        String successor = store.create("ci-2", "ci", Set.of(Scope.TASKS), Duration.ofDays(30)).token();

        assertThat(((Verification.Accepted) store.verify(old, RESOURCE)).identity().subject()).isEqualTo("ci");
        TokenIdentity second = ((Verification.Accepted) store.verify(successor, RESOURCE)).identity();
        assertThat(second.subject()).isEqualTo("ci");
        assertThat(second.tokenName()).isEqualTo("ci-2");
    }

    @Test
    void expiredRevokedAndUnknownTokensAreRefusedEachWithItsReason() {
        Instant now = Instant.parse("2026-11-01T00:00:00Z");
        TokenStore earlier = TokenStore.open(home, Clock.fixed(now.minus(Duration.ofDays(31)), ZoneOffset.UTC));
        String expired = earlier.create("old", "old", Set.of(Scope.READ), Duration.ofDays(30)).token();
        TokenStore store = TokenStore.open(home, Clock.fixed(now, ZoneOffset.UTC));
        String revoked = store.create("gone", "gone", Set.of(Scope.READ), Duration.ofDays(30)).token();

        assertThat(store.revoke("gone")).isTrue();
        assertThat(store.revoke("gone")).as("already revoked").isFalse();
        assertThat(store.revoke("never-made")).isFalse();
        assertThat(store.verify(expired, RESOURCE)).isEqualTo(new Verification.Refused(
                Verification.Reason.EXPIRED, "old", "the token expired at 2026-10-31T00:00:00Z"));
        assertThat(store.verify(revoked, RESOURCE)).isEqualTo(new Verification.Refused(
                Verification.Reason.REVOKED, "gone", "the token was revoked"));
        assertThat(store.verify(OpaqueTokens.generate(), RESOURCE)).isEqualTo(Verification.UNRECOGNIZED);
        assertThat(store.list()).extracting(e -> e.name() + ":" + e.status(now)).containsExactly("gone:revoked", "old:expired");
    }

    @Test
    void aRevocationByAnotherProcessTakesEffectAtTheNextVerification() {
        TokenStore server = TokenStore.open(home);
        TokenStore cli = TokenStore.open(home);
        String token = cli.create("ci", "ci", Set.of(Scope.READ), Duration.ofDays(1)).token();
        assertThat(server.verify(token, RESOURCE)).isInstanceOf(Verification.Accepted.class);

        cli.revoke("ci");

        assertThat(server.verify(token, RESOURCE)).isInstanceOf(Verification.Refused.class);
    }

    @Test
    void anActiveNameIsNotReusedButARevokedOneIs() {
        TokenStore store = TokenStore.open(home);
        String first = store.create("ci", "ci", Set.of(Scope.READ), Duration.ofDays(1)).token();
        assertThatThrownBy(() -> store.create("ci", "ci", Set.of(Scope.READ), Duration.ofDays(1)))
                .hasMessageContaining("is active; revoke it first");
        store.revoke("ci");
        String second = store.create("ci", "ci", Set.of(Scope.ADMIN), Duration.ofDays(1)).token();

        assertThat(store.verify(first, RESOURCE)).isEqualTo(Verification.UNRECOGNIZED);
        assertThat(store.verify(second, RESOURCE)).isInstanceOf(Verification.Accepted.class);
        assertThat(store.list()).hasSize(1);
    }

    @Test
    void namesAreCheckedAndTheStaticTokensNamesAreReserved() {
        TokenStore store = TokenStore.open(home);
        assertThatThrownBy(() -> store.create("env-1", "x", Set.of(Scope.READ), Duration.ofDays(1))).hasMessageContaining("env-");
        assertThatThrownBy(() -> store.create("Bad Name", "x", Set.of(Scope.READ), Duration.ofDays(1))).hasMessageContaining("a-z 0-9");
        assertThatThrownBy(() -> store.create("ci", "ci", Set.of(), Duration.ofDays(1))).hasMessageContaining("at least one scope");
        assertThat(store.list()).isEmpty();
    }

    @Test
    void verificationsDoNotWriteTheFileLastUseIsWrittenInABatchAndTheLaterTimeWins() throws Exception {
        Instant t0 = Instant.parse("2026-11-01T00:00:00Z");
        TokenStore cli = TokenStore.open(home, Clock.fixed(t0, ZoneOffset.UTC));
        String token = cli.create("ci", "ci", Set.of(Scope.READ), Duration.ofDays(1)).token();
        TokenStore later = TokenStore.open(home, Clock.fixed(t0.plusSeconds(60), ZoneOffset.UTC));
        TokenStore earlier = TokenStore.open(home, Clock.fixed(t0.plusSeconds(30), ZoneOffset.UTC));
        var written = Files.getLastModifiedTime(cli.file());

        for (int i = 0; i < 100; i++) {
            later.verify(token, RESOURCE);
            earlier.verify(token, RESOURCE);
        }
        assertThat(Files.getLastModifiedTime(cli.file())).isEqualTo(written);
        assertThat(cli.list().get(0).lastUsedAt()).isNull();

        later.flushLastUse();
        earlier.flushLastUse();

        assertThat(cli.list().get(0).lastUsedAt()).isEqualTo(t0.plusSeconds(60));
    }

    @Test
    void staticTokensAreNamedByPositionHaveEveryScopeAndMustBeLongEnough() {
        StaticTokens tokens = StaticTokens.parse("first-token-0123456789, second-token-0123456789");

        assertThat(tokens.size()).isEqualTo(2);
        assertThat(tokens.verify("second-token-0123456789", RESOURCE)).isEqualTo(new Verification.Accepted(
                new TokenIdentity("env-2", "env-2", null, Set.of(Scope.ADMIN), null)));
        assertThat(tokens.verify("third-token-0123456789", RESOURCE)).isEqualTo(Verification.UNRECOGNIZED);
        assertThat(StaticTokens.parse(null).size()).isZero();
        assertThatThrownBy(() -> StaticTokens.parse("short,second-token-0123456789"))
                .hasMessageContaining("env-1").hasMessageContaining("at least 16").hasMessageNotContaining("short");
        assertThatThrownBy(() -> StaticTokens.parse("first-token-0123456789,")).hasMessageContaining("env-2");
    }

    @Test
    void theFirstVerifierThatKnowsATokenDecides() {
        TokenStore store = TokenStore.open(home);
        String fileToken = store.create("ci", "ci", Set.of(Scope.READ), Duration.ofDays(1)).token();
        store.revoke("ci");
        TokenVerifier chain = TokenVerifier.firstOf(java.util.List.of(StaticTokens.parse("static-token-0123456789"), store));

        assertThat(chain.verify("static-token-0123456789", RESOURCE)).isInstanceOf(Verification.Accepted.class);
        assertThat(chain.verify(fileToken, RESOURCE)).extracting(v -> ((Verification.Refused) v).reason())
                .isEqualTo(Verification.Reason.REVOKED);
        assertThat(chain.verify("nobody-knows-this-token", RESOURCE)).extracting(v -> ((Verification.Refused) v).reason())
                .isEqualTo(Verification.Reason.UNKNOWN);
    }
}
