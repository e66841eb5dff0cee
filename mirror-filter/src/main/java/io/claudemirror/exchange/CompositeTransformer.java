package io.claudemirror.exchange;

import java.nio.ByteBuffer;

/** Two transformers in sequence: the output of the first is the input of the second. */
final class CompositeTransformer implements ResponseTransformer {
    private final ResponseTransformer first;
    private final ResponseTransformer second;

    CompositeTransformer(ResponseTransformer first, ResponseTransformer second) {
        this.first = first;
        this.second = second;
    }

    @Override
    public void begin(int status, String contentType) {
        first.begin(status, contentType);
        second.begin(status, contentType);
    }

    @Override
    public ByteBuffer transform(byte[] buffer, int offset, int length) {
        ByteBuffer mid = first.transform(buffer, offset, length);
        return pass(mid);
    }

    @Override
    public ByteBuffer finish() {
        ByteBuffer tail = pass(first.finish());
        ByteBuffer last = second.finish();
        if (!tail.hasRemaining()) {
            return last;
        }
        if (!last.hasRemaining()) {
            return tail;
        }
        ByteBuffer both = ByteBuffer.allocate(tail.remaining() + last.remaining());
        both.put(tail).put(last).flip();
        return both;
    }

    private ByteBuffer pass(ByteBuffer mid) {
        if (!mid.hasRemaining()) {
            return mid;
        }
        if (mid.hasArray()) {
            return second.transform(mid.array(), mid.arrayOffset() + mid.position(), mid.remaining());
        }
        byte[] copy = new byte[mid.remaining()];
        mid.get(copy);
        return second.transform(copy, 0, copy.length);
    }
}
