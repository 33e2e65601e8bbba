// GENERATED from performance/render/uniforms.py - do not edit.
// Rewrite with: python -m performance.render.uniforms

#define MAX_FACES 8
#define EMO_NEUTRAL 0
#define EMO_HAPPY 1
#define EMO_SAD 2
#define EMO_ANGRY 3
#define EMO_SURPRISED 4
#define EMO_FEARFUL 5
#define EMO_DISGUSTED 6

uniform float u_time;               // 0 .. inf: Seconds since the show started (injected clock).
uniform float u_delta;              // 0 .. 1: Seconds since the previous frame.
uniform int u_frame;                // 0 .. 2147483647: Frames rendered since the show started.
uniform vec2 u_resolution;          // 1 .. 16384: Size of the render target in pixels.
uniform float u_valence;            // -1 .. 1: Crowd valence: -1 negative (cold colours), +1 positive (warm colours).
uniform float u_arousal;            // -1 .. 1: Crowd arousal: -1 drowsy, 0 calm/neutral room, +1 excited (flicker).
uniform float u_emotions[7];        // 0 .. 1: Crowd emotion probabilities in EMOTIONS order; index with EMO_* defines.
uniform float u_faces;              // 0 .. 1000: Smoothed number of faces in view.
uniform int u_face_slots;           // 0 .. 8: How many entries of u_face are valid.
uniform vec4 u_face[8];             // -1 .. 1: Per face: x, y in 0..1 of the picture (y up), valence, arousal.
uniform float u_face_size[8];       // 0 .. 1: Per face: width as a share of the picture width (0 = empty slot).
uniform float u_chaos;              // 0 .. 1: Crowd chaos: churn and disagreement, 0 calm.
uniform float u_spread;             // 0 .. 1: Spread of emotion across faces, 0 unanimous.
uniform float u_motion;             // 0 .. 1: Mean head motion in the crowd.
uniform float u_presence;           // 0 .. 1: 0 empty room (fade to idle), 1 audience present.
uniform int u_act;                  // 0 .. 99: Current act of the show (0 = prologue).
uniform float u_cue_progress;       // 0 .. 1: Position inside the current cue.
uniform float u_transition;         // 0 .. 1: This visual's share of a crossfade: 1 alone, rises when fading in, falls out.
