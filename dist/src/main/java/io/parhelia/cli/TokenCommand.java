package io.parhelia.cli;

import io.parhelia.auth.TokenStore;
import io.parhelia.mcp.Scope;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code parhelia token create|list|revoke}: the named, scoped, expiring tokens of the home's token file. */
@Command(name = "token", mixinStandardHelpOptions = true,
        description = {"Manage the bearer tokens `mcp-server --transport http --auth` accepts besides $PARHELIA_AUTH_TOKENS.",
                "They live hashed in $PARHELIA_HOME/auth/tokens.json; a running server sees changes at its next request."},
        subcommands = {TokenCommand.Create.class, TokenCommand.ListTokens.class, TokenCommand.Revoke.class})
final class TokenCommand {

    private static final Pattern LIFETIME = Pattern.compile("(\\d{1,6})([mhd])");

    @ParentCommand
    Main parent;

    TokenStore store() {
        return TokenStore.open(parent.config().home());
    }

    static Duration lifetime(String value) {
        Matcher m = LIFETIME.matcher(value);
        if (!m.matches()) {
            throw new IllegalArgumentException("--expires must be a number with m, h or d (e.g. 90m, 12h, 30d), got '" + value + "'");
        }
        long amount = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            default -> Duration.ofDays(amount);
        };
    }

    static Set<Scope> scopes(List<String> values) {
        Set<Scope> scopes = EnumSet.noneOf(Scope.class);
        for (String value : values) {
            scopes.add(Scope.fromValue(value).orElseThrow(() -> new IllegalArgumentException("unknown scope '" + value + "'; scopes are "
                    + Arrays.stream(Scope.values()).map(Scope::value).collect(Collectors.joining(", ")))));
        }
        return scopes;
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Make a token and print it once on stdout (only its hash is kept).",
                    "To rotate, create a successor with the same --subject, switch clients over, then revoke the old one."})
    static final class Create implements Callable<Integer> {
        @ParentCommand
        TokenCommand token;

        @Option(names = "--name", required = true, description = "How the token is listed, revoked and named in the audit log.")
        String name;

        @Option(names = "--scope", required = true, split = ",", paramLabel = "SCOPE",
                description = "parhelia:read, parhelia:tasks or parhelia:admin (each implies the ones before); repeatable.")
        List<String> scopes;

        @Option(names = "--expires", defaultValue = "30d", paramLabel = "AGE",
                description = "Lifetime: a number with m, h or d, e.g. 12h, 30d (default: ${DEFAULT-VALUE}).")
        String expires;

        @Option(names = "--subject", paramLabel = "PRINCIPAL",
                description = "The principal it acts as, which owns the tasks it creates (default: its name).")
        String subject;

        @Override
        public Integer call() {
            TokenStore.Created created;
            try {
                created = token.store().create(name, subject == null ? name : subject, scopes(scopes), lifetime(expires));
            } catch (IllegalArgumentException e) {
                System.err.println("parhelia: " + e.getMessage());
                return 2;
            }
            System.out.println(created.token());
            System.err.println("created token '" + name + "' (" + values(created.entry().scopes()) + ", expires "
                    + created.entry().expiresAt() + "); it is shown only this once");
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Show each token's name, subject, scopes, expiry, last use (written by servers about once a minute) and status.")
    static final class ListTokens implements Callable<Integer> {
        @ParentCommand
        TokenCommand token;

        @Override
        public Integer call() {
            List<TokenStore.Entry> entries = token.store().list();
            PrintStream out = System.out;
            String format = "%-24s %-24s %-32s %-22s %-22s %s%n";
            out.printf(format, "NAME", "SUBJECT", "SCOPES", "EXPIRES", "LAST USED", "STATUS");
            Instant now = Instant.now();
            for (TokenStore.Entry e : entries) {
                out.printf(format, e.name(), e.subject(), values(e.scopes()), e.expiresAt(),
                        e.lastUsedAt() == null ? "never" : e.lastUsedAt(), e.status(now));
            }
            return 0;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Stop accepting a token; servers refuse it from their next request on.")
    static final class Revoke implements Callable<Integer> {
        @ParentCommand
        TokenCommand token;

        @Parameters(paramLabel = "NAME", description = "The token's name.")
        String name;

        @Override
        public Integer call() {
            if (!token.store().revoke(name)) {
                System.err.println("parhelia: no active token named '" + name + "'; `parhelia token list` shows them");
                return 1;
            }
            System.err.println("revoked token '" + name + "'");
            return 0;
        }
    }

    private static String values(Set<Scope> scopes) {
        return scopes.stream().sorted().map(Scope::value).collect(Collectors.joining(" "));
    }
}
