package io.parhelia.engine.config;

/** The configuration is unusable; the message names the key or file and what to change. */
public class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
