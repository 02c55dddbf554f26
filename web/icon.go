package web

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
)

// iconPNG draws the app icon, n×n pixels: a blue tile with a white card and a blue bar.
func iconPNG(n int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, n, n))
	blue := color.RGBA{0x1d, 0x4f, 0x91, 0xff}
	white := color.RGBA{0xff, 0xff, 0xff, 0xff}
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			c := blue
			fx, fy := x*16/n, y*16/n
			if fx >= 3 && fx < 13 && fy >= 4 && fy < 12 {
				c = white
				if fy >= 6 && fy < 7 && fx >= 5 && fx < 11 || fy >= 9 && fy < 10 && fx >= 5 && fx < 9 {
					c = blue
				}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img) //nolint:errcheck // writing to memory does not fail
	return b.Bytes()
}
