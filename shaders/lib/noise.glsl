// Hashes, value/gradient noise, fbm, domain warping and cellular (Voronoi) noise.

float hash11(float p) {
    p = fract(p * 0.1031);
    p *= p + 33.33;
    p *= p + p;
    return fract(p);
}

float hash12(vec2 p) {
    vec3 p3 = fract(vec3(p.xyx) * 0.1031);
    p3 += dot(p3, p3.yzx + 33.33);
    return fract((p3.x + p3.y) * p3.z);
}

vec2 hash22(vec2 p) {
    vec3 p3 = fract(vec3(p.xyx) * vec3(0.1031, 0.1030, 0.0973));
    p3 += dot(p3, p3.yzx + 33.33);
    return fract((p3.xx + p3.yz) * p3.zy);
}

// Smooth 1D noise in 0..1.
float noise1(float x) {
    float i = floor(x);
    float f = fract(x);
    float u = f * f * (3.0 - 2.0 * f);
    return mix(hash11(i), hash11(i + 1.0), u);
}

// Gradient noise in about -1..1.
float gnoise(vec2 p) {
    vec2 i = floor(p);
    vec2 f = fract(p);
    vec2 u = f * f * f * (f * (f * 6.0 - 15.0) + 10.0);
    vec2 ga = hash22(i) * 2.0 - 1.0;
    vec2 gb = hash22(i + vec2(1.0, 0.0)) * 2.0 - 1.0;
    vec2 gc = hash22(i + vec2(0.0, 1.0)) * 2.0 - 1.0;
    vec2 gd = hash22(i + vec2(1.0, 1.0)) * 2.0 - 1.0;
    float va = dot(ga, f);
    float vb = dot(gb, f - vec2(1.0, 0.0));
    float vc = dot(gc, f - vec2(0.0, 1.0));
    float vd = dot(gd, f - vec2(1.0, 1.0));
    return 1.4 * mix(mix(va, vb, u.x), mix(vc, vd, u.x), u.y);
}

// Fractal sum of gradient noise, about -1..1.
float fbm(vec2 p, int octaves) {
    float sum = 0.0;
    float amp = 0.5;
    mat2 m = mat2(1.6, 1.2, -1.2, 1.6);
    for (int i = 0; i < 8; i++) {
        if (i >= octaves) break;
        sum += amp * gnoise(p);
        p = m * p + 3.17;
        amp *= 0.5;
    }
    return sum;
}

// Ridged fbm: thin bright creases (filaments, veins), 0..1.
float ridged(vec2 p, int octaves) {
    float sum = 0.0;
    float amp = 0.55;
    mat2 m = mat2(1.7, 1.1, -1.1, 1.7);
    for (int i = 0; i < 8; i++) {
        if (i >= octaves) break;
        float r = 1.0 - abs(gnoise(p));
        sum += amp * r * r;
        p = m * p + 1.31;
        amp *= 0.5;
    }
    return sum;
}

// Two-level domain warp (after Inigo Quilez); `amount` scales the turbulence.
float warped(vec2 p, float t, float amount, out vec2 q) {
    q = vec2(fbm(p + vec2(0.0, 0.13 * t), 4), fbm(p + vec2(5.2, 1.3) - 0.11 * t, 4));
    vec2 r = vec2(fbm(p + amount * 4.0 * q + vec2(1.7, 9.2) + 0.15 * t, 4),
                  fbm(p + amount * 4.0 * q + vec2(8.3, 2.8) - 0.12 * t, 4));
    return fbm(p + amount * 4.0 * r, 5);
}

// Voronoi: x = distance to nearest seed, y = distance to the nearest cell border;
// `cell` receives the nearest cell's integer id.
vec2 voronoi(vec2 p, out vec2 cell) {
    vec2 n = floor(p);
    vec2 f = fract(p);
    vec2 mg = vec2(0.0);
    vec2 mr = vec2(0.0);
    float md = 8.0;
    for (int j = -1; j <= 1; j++)
    for (int i = -1; i <= 1; i++) {
        vec2 g = vec2(float(i), float(j));
        vec2 r = g + hash22(n + g) - f;
        float d = dot(r, r);
        if (d < md) { md = d; mr = r; mg = g; }
    }
    float border = 8.0;
    for (int j = -2; j <= 2; j++)
    for (int i = -2; i <= 2; i++) {
        vec2 g = mg + vec2(float(i), float(j));
        vec2 r = g + hash22(n + g) - f;
        if (dot(mr - r, mr - r) > 0.00001)
            border = min(border, dot(0.5 * (mr + r), normalize(r - mr)));
    }
    cell = n + mg;
    return vec2(sqrt(md), border);
}
