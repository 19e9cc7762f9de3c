#!/usr/bin/python3
"""A tiny RTSP test camera for VTX Link tests and demos, in the shapes real
cameras come in.

Serves a live test pattern over RTSP with GStreamer's RTSP server. Run it with
the *system* Python, which has PyGObject:

    /usr/bin/python3 tools/rtsp-test-camera.py [--port 8554] [--path /cam]
        [--user U --password P [--auth basic|digest]] [--fps 25] [--size 320x240]
        [--host 127.0.0.1] [--video h264|h265] [--gop SECONDS] [--bitrate KBITS]
        [--audio none|aac|alaw|mulaw|opus] [--noise] [--refuse-first N]

Shapes: --video h265 (x265enc), --gop 4 (a keyframe every 4 s; default 1),
--bitrate 4000 --size 1280x720 --noise (a 4 Mbit/s main stream of noise, which
does not compress), --audio alaw|mulaw (G.711 at 8 kHz mono, as Hikvision,
Dahua and Reolink send by default), aac (voaacenc, 16 kHz mono) or opus (48 kHz).
--refuse-first N answers the first N DESCRIBE requests with "503 Service
Unavailable", as a camera does whose one or two sessions are taken;
--refuse-alternate refuses the 1st, 3rd, 5th... so every cold start meets one
refusal.

Needs: python3-gi, gir1.2-gst-rtsp-server-1.0, gstreamer1.0-plugins-base
(videotestsrc, audiotestsrc, opusenc), -good (rtph264pay, alawenc, mulawenc),
-ugly (x264enc), -bad (x265enc, voaacenc; only for those shapes).

Once listening it prints exactly one line on stdout, flushed:

    READY rtsp://127.0.0.1:8554/cam

and runs until SIGTERM or SIGINT, then exits with status 0. Several clients
(e.g. several FFmpeg processes) can connect at once, each with its own
encoder; TCP and UDP transports are both offered. With --user/--password,
clients must authenticate (--auth basic, the default, or
--auth digest; PyGObject cannot enable both at once); a wrong or missing credential
gets "401 Unauthorized". Errors go to stderr and exit with status 1 (bad
arguments: 2).
"""

import argparse
import signal
import sys

try:
    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtsp", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import GLib, Gst, GstRtsp, GstRtspServer
except (ImportError, ValueError) as exc:  # ValueError: typelib missing
    sys.stderr.write(
        "rtsp-test-camera: cannot load GStreamer RTSP server bindings (%s).\n"
        "Run with /usr/bin/python3 and install python3-gi and "
        "gir1.2-gst-rtsp-server-1.0.\n" % exc
    )
    sys.exit(1)


def parse_args(argv):
    p = argparse.ArgumentParser(description="RTSP H.264 test-pattern camera")
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8554, help="RTSP port (default 8554; 0 = any free port)")
    p.add_argument("--path", default="/cam", help="mount path (default /cam)")
    p.add_argument("--user", default=None, help="require this user name")
    p.add_argument("--password", default=None, help="password for --user")
    p.add_argument("--auth", choices=("basic", "digest"), default="basic",
                   help="authentication scheme with --user (default basic)")
    p.add_argument("--fps", type=int, default=25, help="frames per second (default 25)")
    p.add_argument("--size", default="320x240", help="WIDTHxHEIGHT (default 320x240)")
    p.add_argument("--pattern", default="smpte", help="videotestsrc pattern (default smpte)")
    p.add_argument("--video", choices=("h264", "h265"), default="h264", help="video codec (default h264)")
    p.add_argument("--gop", type=float, default=1.0, help="seconds between keyframes (default 1)")
    p.add_argument("--bitrate", type=int, default=500, help="video kbit/s (default 500)")
    p.add_argument("--noise", action="store_true", help="a noise picture (does not compress: the bitrate is real)")
    p.add_argument("--audio", choices=("none", "aac", "alaw", "mulaw", "opus"), default="none",
                   help="audio track (default none)")
    p.add_argument("--refuse-first", type=int, default=0, metavar="N",
                   help="answer the first N DESCRIBE requests with 503")
    p.add_argument("--refuse-alternate", action="store_true",
                   help="answer every other DESCRIBE (the 1st, 3rd, ...) with 503: each cold start is refused once")
    a = p.parse_args(argv)
    if not 0.1 <= a.gop <= 30:
        p.error("--gop must be 0.1..30 seconds")
    if not 50 <= a.bitrate <= 50000:
        p.error("--bitrate must be 50..50000 kbit/s")
    if a.noise:
        a.pattern = "snow"
    if not a.path.startswith("/"):
        a.path = "/" + a.path
    if (a.user is None) != (a.password is None):
        p.error("--user and --password go together")
    if not 1 <= a.fps <= 60:
        p.error("--fps must be 1..60")
    if not 0 <= a.port <= 65535:
        p.error("--port must be 0..65535")
    try:
        w, h = (int(x) for x in a.size.lower().split("x"))
        if w < 16 or h < 16 or w % 2 or h % 2:
            raise ValueError
    except ValueError:
        p.error("--size must be WIDTHxHEIGHT with even numbers >= 16")
    a.width, a.height = w, h
    return a


AUDIO = {
    # (elements, payloader) per --audio; G.711 is 8 kHz mono as cameras send it.
    "aac": ("audio/x-raw,rate=16000,channels=1 ! voaacenc bitrate=32000 ! aacparse", "rtpmp4gpay"),
    "alaw": ("audio/x-raw,rate=8000,channels=1 ! alawenc", "rtppcmapay"),
    "mulaw": ("audio/x-raw,rate=8000,channels=1 ! mulawenc", "rtppcmupay"),
    "opus": ("audio/x-raw,rate=48000,channels=1 ! opusenc", "rtpopuspay"),
}


def launch_line(a):
    # key-int-max = --gop seconds of frames -> an IDR every --gop seconds, so HLS
    # segments are --gop seconds (or a whole multiple) long.
    # Caps force 4:2:0 8-bit; H.264 profile=baseline avoids B-frames (zerolatency
    # also disables them), as most cameras' main streams do.
    gop = max(1, int(round(a.gop * a.fps)))
    if a.video == "h265":
        enc = ("x265enc tune=zerolatency speed-preset=ultrafast key-int-max={gop} bitrate={br} "
               "! video/x-h265,profile=main ! rtph265pay name=pay0 pt=96 config-interval=1")
    else:
        enc = ("x264enc tune=zerolatency speed-preset=ultrafast key-int-max={gop} bitrate={br} "
               "! video/x-h264,profile=baseline ! rtph264pay name=pay0 pt=96 config-interval=1")
    video = (
        "videotestsrc is-live=true pattern={pat} "
        "! video/x-raw,width={w},height={h},framerate={fps}/1,format=I420 "
        "! timeoverlay font-desc=\"Sans 14\" ! " + enc
    ).format(pat=a.pattern, w=a.width, h=a.height, fps=a.fps, gop=gop, br=a.bitrate)
    audio = ""
    if a.audio != "none":
        caps, pay = AUDIO[a.audio]
        audio = (" audiotestsrc is-live=true wave=sine freq=440 ! audioconvert ! audioresample "
                 "! {caps} ! {pay} name=pay1 pt=97").format(caps=caps, pay=pay)
    return "( " + video + audio + " )"


def required_elements(a):
    names = ["videotestsrc", "timeoverlay"]
    names += ["x265enc", "rtph265pay"] if a.video == "h265" else ["x264enc", "rtph264pay"]
    if a.audio != "none":
        names += ["audiotestsrc", AUDIO[a.audio][1]]
        names.append({"aac": "voaacenc", "alaw": "alawenc", "mulaw": "mulawenc", "opus": "opusenc"}[a.audio])
    return names


def main(argv):
    a = parse_args(argv)
    Gst.init(None)

    for element in required_elements(a):
        if Gst.ElementFactory.find(element) is None:
            sys.stderr.write("rtsp-test-camera: GStreamer element %r is missing\n" % element)
            return 1

    loop = GLib.MainLoop()

    # Installed before READY is printed, so a SIGTERM sent right after READY
    # still ends in a clean exit 0 (the handler runs inside loop.run()).
    def on_signal(*_):
        loop.quit()
        return GLib.SOURCE_CONTINUE

    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, sig, on_signal)

    server = GstRtspServer.RTSPServer()
    server.set_address(a.host)
    server.set_service(str(a.port))

    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch_line(a))
    # One pipeline per client, not one shared media: with a shared media,
    # GStreamer 1.22's RTSP server aborts (gst_rtsp_media_get_rates: assertion
    # failed) when a client PLAYs while the last one's TEARDOWN is unpreparing
    # it — which is what a gateway restarting its relays does. An encoder per
    # client costs a few % of a core at 320x240.
    factory.set_shared(False)
    # Protocols left at the default: UDP, UDP multicast and TCP (interleaved).

    if a.user is not None:
        auth = GstRtspServer.RTSPAuth()
        # GstRTSPAuthMethod is a flags type in C but an enum in PyGObject, so
        # BASIC|DIGEST cannot be passed from Python: one method at a time.
        token = GstRtspServer.RTSPToken()
        token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, a.user)
        if a.auth == "digest":
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
            auth.add_digest(a.user, a.password, token)
        else:
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)
            auth.add_basic(GstRtspServer.RTSPAuth.make_basic(a.user, a.password), token)
        server.set_auth(auth)
        perms = GstRtspServer.RTSPPermissions()
        perms.add_permission_for_role(a.user, GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS, True)
        perms.add_permission_for_role(a.user, GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, True)
        factory.set_permissions(perms)

    server.get_mount_points().add_factory(a.path, factory)

    if a.refuse_first > 0 or a.refuse_alternate:
        seen = [0]

        def on_describe(_client, _ctx):
            seen[0] += 1
            n = seen[0]
            if n <= a.refuse_first or (a.refuse_alternate and n % 2 == 1):
                sys.stderr.write("rtsp-test-camera: DESCRIBE %d refused (503)\n" % n)
                return GstRtsp.RTSPStatusCode.SERVICE_UNAVAILABLE
            return GstRtsp.RTSPStatusCode.OK

        def on_client(_server, client):
            client.connect("pre-describe-request", on_describe)

        server.connect("client-connected", on_client)

    try:
        source_id = server.attach(None)
        reason = "port in use?"
    except GLib.Error as exc:
        source_id, reason = 0, exc.message
    if not source_id:
        sys.stderr.write("rtsp-test-camera: cannot listen on %s:%d (%s)\n" % (a.host, a.port, reason))
        return 1

    port = server.get_bound_port()
    host = "127.0.0.1" if a.host in ("0.0.0.0", "::", "") else a.host
    sys.stdout.write("READY rtsp://%s:%d%s\n" % (host, port, a.path))
    sys.stdout.flush()

    loop.run()
    GLib.source_remove(source_id)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
