package io.parhelia.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** A fresh home with a server on it, shared by the tests of a class; subclasses say which server. */
abstract class SharedHome implements BeforeAllCallback, AfterAllCallback {

    private Path home;
    private ParheliaHomeFixture fixture;

    @Override
    public final void beforeAll(ExtensionContext context) throws IOException {
        home = Files.createTempDirectory("parhelia-it-");
        fixture = new ParheliaHomeFixture(home);
        start(fixture);
    }

    @Override
    public final void afterAll(ExtensionContext context) throws Exception {
        try {
            stop();
        } finally {
            fixture.close();
            try (Stream<Path> files = Files.walk(home)) {
                files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    abstract void start(ParheliaHomeFixture fixture) throws IOException;

    /** Stops what {@link #start} started and the fixture does not close itself. */
    void stop() throws Exception {
    }

    ParheliaHomeFixture fixture() {
        return fixture;
    }

    Path home() {
        return home;
    }
}
