package io.parhelia.bench;

/** The JVM floor: a main that does nothing, started with the launcher's JVM options. */
public final class Noop {

    private Noop() {
    }

    public static void main(String[] args) {
        // nothing: the process's life is the JVM's own start-up and shutdown
    }
}
