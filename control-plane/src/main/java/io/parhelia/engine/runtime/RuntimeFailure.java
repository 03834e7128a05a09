package io.parhelia.engine.runtime;

/** A runtime could not do what was asked; the message says what and, where known, how to fix it. */
public class RuntimeFailure extends Exception {
    public RuntimeFailure(String message) {
        super(message);
    }

    public RuntimeFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
