class OneDnnConv(Module):
  __parameters__ = []
  __buffers__ = []
  training : bool
  _is_full_backward_hook : Optional[bool]
  def forward(self: __torch__.OneDnnConv,
    x: Tensor) -> Tensor:
    return x
  def pack(self: __torch__.OneDnnConv,
    w: Tensor,
    padding: List[int],
    stride: List[int],
    dilation: List[int],
    groups: int,
    input_size: List[int]) -> Tensor:
    return ops.aten.mkldnn_reorder_conv2d_weight(torch.to_mkldnn(w), padding, stride, dilation, groups, input_size)
  def conv(self: __torch__.OneDnnConv,
    x: Tensor,
    w: Tensor,
    b: Tensor,
    padding: List[int],
    stride: List[int],
    dilation: List[int],
    groups: int,
    unary: str) -> Tensor:
    y = ops.mkldnn._convolution_pointwise(x, w, b, padding, stride, dilation, groups, unary, annotate(List[Optional[number]], []), None)
    return torch.contiguous(y)
  def conv_add(self: __torch__.OneDnnConv,
    x: Tensor,
    other: Tensor,
    w: Tensor,
    b: Tensor,
    padding: List[int],
    stride: List[int],
    dilation: List[int],
    groups: int,
    unary: str) -> Tensor:
    y = ops.mkldnn._convolution_pointwise(x, other, w, b, padding, stride, dilation, groups, "add", None, unary, annotate(List[Optional[number]], []), None)
    return torch.contiguous(y)
