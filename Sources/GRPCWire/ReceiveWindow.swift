import NIOHTTP2

/// One stream's HTTP/2 receive window as its reader keeps it: bytes read are counted, and once half of the
/// window has been read they are given back in one WINDOW_UPDATE, so that the peer never waits on a window
/// and no update is sent per frame.
struct StreamReceiveWindow {
    let size: Int
    private var unacknowledged = 0

    init(size: Int) {
        self.size = size
    }

    /// Counts `bytes` as read; returns the increment to give back now, if it is time.
    mutating func read(_ bytes: Int) -> Int? {
        unacknowledged += bytes
        guard unacknowledged >= size / 2 else { return nil }
        defer { unacknowledged = 0 }
        return unacknowledged
    }
}

/// The connection's HTTP/2 receive window, followed from nio-http2's `NIOHTTP2WindowUpdatedEvent`s rather
/// than counted from DATA frames read: frames of a stream already reset use the window up too, and nio-http2
/// drops them before they reach the handler. Once the window falls to half of `size` it is topped up to
/// `size` in one WINDOW_UPDATE, and not again until nio-http2 has counted that one.
struct ConnectionReceiveWindow {
    let size: Int
    private var updatePending = false

    init(size: Int) {
        self.size = size
    }

    /// The window is now `current` bytes; returns the increment to give back now, if it is time.
    mutating func changed(to current: Int) -> Int? {
        if current > size / 2 {
            updatePending = false
            return nil
        }
        if updatePending { return nil }
        updatePending = true
        return size - current
    }
}

extension HTTP2Frame.FramePayload.Data {
    /// The bytes this frame takes from the receive windows: its data, and its padding with the pad length
    /// octet.
    var flowControlledLength: Int {
        data.readableBytes + (paddingBytes.map { $0 + 1 } ?? 0)
    }
}
