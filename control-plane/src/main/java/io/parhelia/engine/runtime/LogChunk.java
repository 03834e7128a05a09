package io.parhelia.engine.runtime;

/**
 * A slice of an agent's output.
 *
 * @param data       the bytes read
 * @param offset     where the slice starts
 * @param nextOffset where the next read should start
 * @param size       the log's whole size at the time of reading
 */
public record LogChunk(byte[] data, long offset, long nextOffset, long size) {
}
