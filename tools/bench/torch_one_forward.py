"""One resnet50 forward (batch 1, 2 threads, eval/no_grad) after 5 warm-up forwards, for DNNL_VERBOSE logs:
DNNL_VERBOSE=1 /usr/bin/python3 tools/bench/torch_one_forward.py | sed -n '/=== MARK ===/,$p' > torch.log"""
import torch
import torchvision

torch.set_num_threads(2)
m = torchvision.models.resnet50().eval()
x = torch.randn(1, 3, 224, 224)
with torch.no_grad():
    for _ in range(5):
        m(x)
    print("=== MARK ===", flush=True)
    m(x)
