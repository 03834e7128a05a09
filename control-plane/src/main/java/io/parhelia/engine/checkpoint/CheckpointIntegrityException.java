package io.parhelia.engine.checkpoint;

/** A checkpoint's stored content is not what it recorded: a blob corrupted or missing, or a path that would escape. */
public class CheckpointIntegrityException extends RuntimeException {

    public CheckpointIntegrityException(String message) {
        super(message);
    }
}
